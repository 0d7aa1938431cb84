/* replyassist for Zendesk: the host adapter between the shared sidebar (sidebar.js) and the ZAF client.
 *
 * The service URL is an ordinary setting; the service token is a secure setting, so it never
 * reaches the browser: requests carry the placeholder {{setting.service_token}} and Zendesk's
 * proxy substitutes it (the service's domain must be in the manifest's domainWhitelist). */
(function () {
  "use strict";

  var client = ZAFClient.init();
  var settings = client.metadata().then(function (metadata) {
    return (metadata && metadata.settings) || {};
  });

  function parseJson(text) {
    try {
      return text ? JSON.parse(text) : null;
    } catch (e) {
      return null;
    }
  }

  /* The newest comment written by the requester (an end user), as plain text. */
  function lastCustomerComment(comments) {
    var list = Array.isArray(comments) ? comments : [];
    for (var i = list.length - 1; i >= 0; i--) {
      var author = list[i] && list[i].author;
      if (author && author.role === "end-user") return ReplyAssistSidebar.htmlToText(list[i].value);
    }
    return "";
  }

  var host = {
    helpdesk: "zendesk",

    getTicket: function () {
      return client.get(["ticket.id", "ticket.comments", "currentUser.locale"]).then(function (data) {
        return {
          id: data["ticket.id"],
          locale: data["currentUser.locale"],
          customerMessage: lastCustomerComment(data["ticket.comments"])
        };
      });
    },

    request: function (method, path, body) {
      return settings.then(function (values) {
        var base = String(values.service_url || "").replace(/\/+$/, "");
        return client
          .request({
            url: base + path,
            type: method,
            contentType: "application/json",
            dataType: "json",
            headers: { Authorization: "Bearer {{setting.service_token}}" },
            secure: true,
            cors: false,
            httpCompleteResponse: true,
            data: body === undefined ? undefined : JSON.stringify(body)
          })
          .then(
            function (response) {
              return { status: response.status, body: response.responseJSON || parseJson(response.responseText) };
            },
            function (failure) {
              if (failure && failure.status) {
                return { status: failure.status, body: failure.responseJSON || parseJson(failure.responseText) };
              }
              throw new Error("service unreachable");
            }
          );
      });
    },

    /* Plain text (appendText), never HTML: the draft may quote the customer. */
    insert: function (text, mode) {
      return client.set("comment.type", mode === "note" ? "internalNote" : "publicReply").then(function () {
        return client.invoke("comment.appendText", text);
      });
    },

    /* ticket.save is a save hook: resolve to let the save go on; feedback is sent without holding it. */
    onSave: function (callback) {
      client.on("ticket.save", function () {
        return client.get("comment.text").then(
          function (data) {
            callback(ReplyAssistSidebar.htmlToText(data["comment.text"]));
            return true;
          },
          function () {
            return true;
          }
        );
      });
    },

    resize: function () {
      client.invoke("resize", { width: "100%", height: Math.min(document.body.scrollHeight + 4, 1200) + "px" });
    }
  };

  ReplyAssistSidebar.mount(document.getElementById("replyassist"), host);
})();
