/* replyassist for Freshdesk: the host adapter between the shared sidebar (sidebar.js) and the FDK client.
 *
 * Calls to the service go through request templates (config/requests.json): the platform's proxy
 * adds the secure token, so it never reaches the browser. */
(function () {
  "use strict";

  var TEMPLATES = [
    { method: "GET", pattern: /^\/v1\/helpdesks\/freshdesk\/tickets\/([^/?]+)\/draft(\?fresh=true)?$/, name: "getDraft",
      context: function (m) { return { ticket_id: decodeURIComponent(m[1]), fresh: m[2] ? "true" : "false" }; } },
    { method: "POST", pattern: /^\/v1\/drafts\/([^/]+)\/rephrase$/, name: "rephraseDraft",
      context: function (m) { return { draft_id: decodeURIComponent(m[1]) }; } },
    { method: "POST", pattern: /^\/v1\/drafts\/([^/]+)\/feedback$/, name: "sendFeedback",
      context: function (m) { return { draft_id: decodeURIComponent(m[1]) }; } }
  ];

  function parseJson(text) {
    try {
      return typeof text === "string" && text ? JSON.parse(text) : text || null;
    } catch (e) {
      return null;
    }
  }

  function template(method, path) {
    for (var i = 0; i < TEMPLATES.length; i++) {
      var match = TEMPLATES[i].method === method && TEMPLATES[i].pattern.exec(path);
      if (match) return { name: TEMPLATES[i].name, context: TEMPLATES[i].context(match) };
    }
    return null;
  }

  function makeHost(client) {
    return {
      helpdesk: "freshdesk",

      getTicket: function () {
        return Promise.all([
          client.data.get("ticket"),
          client.data.get("loggedInUser").catch(function () {
            return {};
          })
        ]).then(function (results) {
          var ticket = (results[0] && results[0].ticket) || {};
          var user = (results[1] && results[1].loggedInUser) || {};
          return {
            id: ticket.id,
            locale: (user.contact && user.contact.language) || user.language || "en",
            customerMessage: ticket.description_text || ReplyAssistSidebar.htmlToText(ticket.description)
          };
        });
      },

      request: function (method, path, body) {
        var target = template(method, path);
        if (!target) return Promise.reject(new Error("no request template for " + method + " " + path));
        var options = { context: target.context };
        if (body !== undefined) options.body = JSON.stringify(body);
        return client.request.invokeTemplate(target.name, options).then(
          function (result) {
            return { status: result.status, body: parseJson(result.response) };
          },
          function (failure) {
            if (failure && failure.status) return { status: failure.status, body: parseJson(failure.response) };
            throw new Error("service unreachable");
          }
        );
      },

      /* Open the reply editor (or a private note) and put the draft in it as plain text. */
      insert: function (text, mode) {
        var opener = mode === "note" ? { id: "openNote", isPublic: false } : { id: "reply" };
        return client.interface.trigger("click", opener).then(function () {
          return client.interface.trigger("setValue", { id: "editor", text: text });
        });
      },

      /* ticket.sendReply is intercepted only to read what is being sent; the send always goes on. */
      onSave: function (callback) {
        client.events.on(
          "ticket.sendReply",
          function (event) {
            try {
              var data = (event.helper && event.helper.getData()) || {};
              var sent = data.body_text || data.text || ReplyAssistSidebar.htmlToText(data.body);
              if (sent) callback(sent);
            } finally {
              event.helper.done();
            }
          },
          { intercept: true }
        );
      },

      resize: function () {
        if (client.instance && client.instance.resize) {
          client.instance.resize({ height: Math.min(document.body.scrollHeight + 4, 1200) + "px" });
        }
      }
    };
  }

  app.initialized().then(function (client) {
    var host = makeHost(client);
    var sidebar = ReplyAssistSidebar.mount(document.getElementById("replyassist"), host);
    /* The sidebar can stay loaded while the agent moves to another ticket: reload only then,
     * so a draft inserted on this ticket still gets its feedback when the reply is sent. */
    client.events.on("app.activated", function () {
      host.getTicket().then(function (ticket) {
        var shown = sidebar.state.ticket;
        if (shown && String(shown.id) !== String(ticket.id)) sidebar.reload();
      });
    });
  });
})();
