/* replyassist sidebar: the agent's view of a draft, shared by the Zendesk and Freshdesk apps.
 *
 * Each app supplies a small "host" object that hides its SDK:
 *   host.helpdesk                      "zendesk" | "freshdesk" (the service's helpdesk name)
 *   host.getTicket()                   -> Promise<{id, locale?, customerMessage?}>
 *   host.request(method, path, body?)  -> Promise<{status, body}>; rejects only when the service is unreachable
 *   host.insert(text, mode)            -> Promise; mode is "reply" or "note"
 *   host.onSave(callback)              callback(sentText) when the agent submits the ticket or reply
 *   host.resize()                      optional: tell the helpdesk the content height changed
 *
 * Security: every string that comes from a customer, the knowledge base or the model is put in the
 * page with textContent / value / createTextNode. There is no innerHTML anywhere in this file, and
 * links are only made from http(s) URLs.
 */
(function (global) {
  "use strict";

  var TONES = ["friendlier", "more_formal", "shorter", "more_empathetic"];
  var REJECT_REASONS = ["wrong_facts", "wrong_tone", "not_needed", "other"];
  var ELEMENT_PROPS = { className: 1, id: 1, type: 1, value: 1, disabled: 1, hidden: 1, rows: 1, htmlFor: 1 };

  function el(tag, props, children) {
    var node = document.createElement(tag);
    var key;
    props = props || {};
    for (key in props) {
      if (!Object.prototype.hasOwnProperty.call(props, key) || props[key] === undefined || props[key] === null) continue;
      if (key === "text") node.textContent = String(props[key]);
      else if (key === "onClick") node.addEventListener("click", props[key]);
      else if (ELEMENT_PROPS[key]) node[key] = props[key];
      else node.setAttribute(key, String(props[key]));
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* Only absolute http(s) links become anchors; anything else (javascript:, data:) stays text. */
  function safeHref(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      var parsed = new URL(url);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  /* Whitespace-insensitive comparison: editors re-wrap paragraphs and add trailing newlines. */
  function normalizeText(text) {
    return String(text || "").replace(/\u00a0/g, " ").replace(/\s+/g, " ").trim();
  }

  /* Plain text of an HTML fragment, parsed in an inert document (no scripts run, nothing loads). */
  function htmlToText(html) {
    if (!html) return "";
    var doc = new DOMParser().parseFromString(String(html), "text/html");
    var blocks = doc.body.querySelectorAll("p, div, li, br, h1, h2, h3, h4, blockquote");
    Array.prototype.forEach.call(blocks, function (node) {
      if (node.tagName === "BR") node.replaceWith(doc.createTextNode("\n"));
      else node.appendChild(doc.createTextNode("\n\n"));
    });
    return doc.body.textContent.replace(/\n{3,}/g, "\n\n").trim();
  }

  function translator(locale) {
    var tables = global.ReplyAssistI18n || {};
    var lang = String(locale || "en").toLowerCase().split(/[-_]/)[0];
    var table = tables[lang] || tables.en || {};
    var fallback = tables.en || {};
    return function (key) {
      return table[key] || fallback[key] || key;
    };
  }

  /* Where the draft goes by default: an escalation (or a phone ticket) as a note for the team,
   * anything else as a public reply on the customer's channel. */
  function defaultMode(draft) {
    return draft.decision === "escalate" || draft.channel === "voice" ? "note" : "reply";
  }

  function errorCode(response) {
    var body = response && response.body;
    return body && body.error && body.error.code ? String(body.error.code) : "";
  }

  function errorMessage(response) {
    var body = response && response.body;
    return body && body.error && body.error.message ? String(body.error.message) : "";
  }

  function mount(root, host) {
    var t = translator("en");
    var state = { ticket: null, draft: null, busy: false, inserted: null, recorded: {} };
    var statusNode = el("p", { className: "ra-status", role: "status", "aria-live": "polite" });
    var body = el("div", { className: "ra-body" });

    root.textContent = "";
    root.appendChild(
      el("div", { className: "ra" }, [
        el("header", { className: "ra-head" }, [el("h1", { className: "ra-title", text: "ReplyAssist" })]),
        body,
        statusNode
      ])
    );

    function resize() {
      if (typeof host.resize === "function") host.resize();
    }

    function say(message, kind) {
      statusNode.textContent = message || "";
      statusNode.className = "ra-status" + (kind ? " ra-status--" + kind : "");
      resize();
    }

    /* One message per failure kind; the service's own message is shown only for unexpected errors. */
    function describeFailure(response) {
      if (!response) return t("error_unavailable");
      var code = errorCode(response);
      if (response.status === 401 || code === "unauthorized") return t("error_token");
      if (response.status === 429) return t("error_rate_limited");
      if (code === "tone_unavailable") return t("error_tone");
      if (code === "ticket_not_found" || code === "unknown_helpdesk") return t("error_ticket");
      if (response.status >= 500 || response.status === 0) return t("error_unavailable");
      return t("error_generic") + (errorMessage(response) || "HTTP " + response.status);
    }

    function call(method, path, payload) {
      return host.request(method, path, payload).then(
        function (response) {
          if (response.status >= 200 && response.status < 300) return response.body;
          throw { response: response };
        },
        function () {
          throw { response: null };
        }
      );
    }

    function draftPath(fresh) {
      var id = encodeURIComponent(String(state.ticket.id));
      return "/v1/helpdesks/" + encodeURIComponent(host.helpdesk) + "/tickets/" + id + "/draft" + (fresh ? "?fresh=true" : "");
    }

    function showFatal(message) {
      body.textContent = "";
      body.appendChild(
        el("div", { className: "ra-error", role: "alert" }, [
          el("p", { text: message }),
          el("button", { type: "button", className: "ra-button", text: t("retry"), onClick: load })
        ])
      );
      say("");
    }

    function showLoading(message) {
      body.textContent = "";
      body.appendChild(el("p", { className: "ra-loading", "aria-busy": "true" }, [el("span", { className: "ra-spinner", "aria-hidden": "true" }), message]));
      resize();
    }

    function load() {
      showLoading(t("loading"));
      return host
        .getTicket()
        .then(function (ticket) {
          state.ticket = ticket;
          t = translator(ticket.locale);
          showLoading(t("loading"));
          return call("GET", draftPath(false));
        })
        .then(render, function (failure) {
          showFatal(describeFailure(failure && failure.response));
        });
    }

    function setBusy(busy) {
      state.busy = busy;
      Array.prototype.forEach.call(body.querySelectorAll("button, select, textarea, input"), function (control) {
        control.disabled = busy;
      });
      if (busy) say(t("working"));
    }

    /* Runs an action; failures are shown in the status line, the draft stays on screen. */
    function act(run, doneMessage) {
      if (state.busy) return Promise.resolve();
      setBusy(true);
      return run().then(
        function () {
          setBusy(false);
          say(doneMessage || "", "ok");
        },
        function (failure) {
          setBusy(false);
          say(failure && failure.message ? failure.message : describeFailure(failure && failure.response), "error");
        }
      );
    }

    function labelled(id, label, control) {
      return el("div", { className: "ra-field" }, [el("label", { htmlFor: id, text: label }), control]);
    }

    function options(values, prefix, selected) {
      return values.map(function (value) {
        var option = el("option", { value: value, text: t(prefix + value) });
        if (value === selected) option.selected = true;
        return option;
      });
    }

    function renderDecision(draft) {
      var decision = String(draft.decision || "reply");
      var reasons = (draft.reasons || []).map(function (reason) {
        return el("li", { text: reason });
      });
      return el("section", { className: "ra-section ra-decision", "aria-label": t("reasons") }, [
        el("span", { className: "ra-badge ra-badge--" + decision.replace(/[^a-z_]/g, ""), text: t("decision_" + decision) }),
        decision === "skip" ? el("p", { className: "ra-skip", text: t("skip_state") }) : null,
        reasons.length ? el("ul", { className: "ra-reasons" }, reasons) : null
      ]);
    }

    function renderSignals(draft) {
      var signals = draft.signals || {};
      var chip = function (label, value, kind) {
        return el("li", { className: "ra-chip" + (kind ? " ra-chip--" + kind : "") }, [
          el("span", { className: "ra-chip-label", text: label + ": " }),
          String(value)
        ]);
      };
      var urgency = String(signals.urgency || "normal");
      var sentiment = String(signals.sentiment || "neutral");
      return el("section", { className: "ra-section", "aria-label": t("signals") }, [
        el("ul", { className: "ra-chips" }, [
          chip(t("sentiment"), t("sentiment_" + sentiment), sentiment),
          chip(t("urgency"), t("urgency_" + urgency), urgency),
          chip(t("language"), signals.language || draft.language || "?")
        ])
      ]);
    }

    function renderWarnings(draft) {
      var warnings = draft.warnings || [];
      if (!warnings.length) return null;
      return el("section", { className: "ra-section ra-warnings", role: "note" }, [
        el("h2", { text: t("warnings") }),
        el(
          "ul",
          {},
          warnings.map(function (warning) {
            return el("li", { text: warning.message || warning.code || "" });
          })
        )
      ]);
    }

    function renderCustomer() {
      var message = state.ticket && state.ticket.customerMessage;
      if (!message) return null;
      var text = String(message);
      if (text.length > 500) text = text.slice(0, 500) + "…";
      return el("section", { className: "ra-section" }, [
        el("h2", { text: t("customer_wrote") }),
        el("blockquote", { className: "ra-customer", text: text })
      ]);
    }

    function renderCitations(draft) {
      var citations = draft.citations || [];
      if (!citations.length) return null;
      return el("section", { className: "ra-section" }, [
        el("h2", { text: t("citations") }),
        el(
          "ul",
          { className: "ra-citations" },
          citations.map(function (citation) {
            var href = safeHref(citation.url);
            var title = String(citation.title || citation.article_id || "");
            var link = href
              ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: title })
              : el("span", { text: title });
            return el("li", {}, [link, citation.quote ? el("q", { className: "ra-quote", text: citation.quote }) : null]);
          })
        )
      ]);
    }

    function renderReject(container, draft) {
      var reason = el("select", { id: "ra-reject-reason" }, options(REJECT_REASONS, "reject_", "wrong_facts"));
      var details = el("input", { id: "ra-reject-details", type: "text" });
      var form = el("form", { className: "ra-reject" }, [
        labelled("ra-reject-reason", t("reject_reason"), reason),
        labelled("ra-reject-details", t("reject_details"), details),
        el("div", { className: "ra-row" }, [
          el("button", { type: "submit", className: "ra-button ra-button--danger", text: t("reject_send") }),
          el("button", { type: "button", className: "ra-button ra-button--quiet", text: t("cancel"), onClick: close })
        ])
      ]);
      function close() {
        form.remove();
        resize();
        var opener = body.querySelector("#ra-reject-open");
        if (opener) opener.focus();
      }
      form.addEventListener("keydown", function (event) {
        if (event.key === "Escape") close();
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var text = t("reject_" + reason.value) + (details.value.trim() ? ": " + details.value.trim() : "");
        act(function () {
          return call("POST", "/v1/drafts/" + encodeURIComponent(draft.id) + "/feedback", { kind: "rejected", reason: text }).then(function () {
            state.recorded[draft.id] = "rejected";
            form.remove();
          });
        }, t("rejected"));
      });
      container.appendChild(form);
      reason.focus();
      resize();
    }

    function renderActions(draft, textarea) {
      var actions = el("div", { className: "ra-actions" });
      var mode = el("select", { id: "ra-mode" }, options(["reply", "note"], "mode_", defaultMode(draft)));
      var tone = el("select", { id: "ra-tone" }, options(TONES, "tone_", "friendlier"));
      var insertButton = el("button", { type: "button", id: "ra-insert", className: "ra-button ra-button--primary", text: t("insert") });
      insertButton.addEventListener("click", function () {
        var text = textarea.value;
        var chosen = mode.value;
        act(function () {
          return Promise.resolve(host.insert(text, chosen)).then(
            function () {
              state.inserted = { draft: draft, text: text };
            },
            function () {
              throw { message: t("error_insert") };
            }
          );
        }, t("inserted"));
      });
      var toneButton = el("button", { type: "button", id: "ra-tone-apply", className: "ra-button", text: t("apply_tone") });
      toneButton.addEventListener("click", function () {
        var chosen = tone.value;
        act(function () {
          return call("POST", "/v1/drafts/" + encodeURIComponent(draft.id) + "/rephrase", { tone: chosen }).then(function (next) {
            render(next, { tone: chosen });
          });
        }, t("tone_done"));
      });
      var regenerate = el("button", { type: "button", id: "ra-regenerate", className: "ra-button", text: t("regenerate") });
      regenerate.addEventListener("click", function () {
        act(function () {
          return call("GET", draftPath(true)).then(function (next) {
            render(next);
          });
        }, t("regenerated"));
      });
      var reject = el("button", { type: "button", id: "ra-reject-open", className: "ra-button ra-button--quiet", text: t("reject") });
      reject.addEventListener("click", function () {
        if (!actions.querySelector("form")) renderReject(actions, draft);
      });
      var hasText = Boolean(String(draft.text || "").trim());
      if (hasText) {
        actions.appendChild(el("div", { className: "ra-row" }, [labelled("ra-mode", t("insert_as"), mode), insertButton]));
        actions.appendChild(el("div", { className: "ra-row" }, [labelled("ra-tone", t("tone_label"), tone), toneButton]));
      }
      actions.appendChild(el("div", { className: "ra-row" }, [regenerate, hasText ? reject : null]));
      return actions;
    }

    function render(draft, options_) {
      var keepTone = options_ && options_.tone;
      state.draft = draft;
      root.firstChild.setAttribute("data-draft-id", String(draft.id || ""));
      body.textContent = "";
      var textarea = el("textarea", { id: "ra-draft", className: "ra-draft", rows: 10, value: draft.text || "" });
      var parts = [renderDecision(draft), renderSignals(draft), renderWarnings(draft), renderCustomer()];
      if (String(draft.text || "").trim()) {
        parts.push(el("section", { className: "ra-section" }, [labelled("ra-draft", t("draft_label"), textarea)]));
      }
      parts.push(renderActions(draft, textarea), renderCitations(draft));
      parts.forEach(function (part) {
        if (part) body.appendChild(part);
      });
      if (keepTone) body.querySelector("#ra-tone").value = keepTone;
      resize();
    }

    /* What the agent sent decides the feedback: the inserted draft unchanged → accepted, else edited. */
    host.onSave(function (sentText) {
      var inserted = state.inserted;
      if (!inserted || state.recorded[inserted.draft.id]) return;
      var draft = inserted.draft;
      var same = normalizeText(sentText) === normalizeText(draft.text);
      var payload = same ? { kind: "accepted" } : { kind: "edited", final_text: String(sentText || "") };
      state.recorded[draft.id] = payload.kind;
      return call("POST", "/v1/drafts/" + encodeURIComponent(draft.id) + "/feedback", payload).then(
        function () {
          say(t(same ? "feedback_accepted" : "feedback_edited"), "ok");
        },
        function (failure) {
          delete state.recorded[draft.id];
          say(describeFailure(failure && failure.response), "error");
        }
      );
    });

    load();
    return { reload: load, state: state };
  }

  global.ReplyAssistSidebar = { mount: mount, htmlToText: htmlToText, normalizeText: normalizeText, safeHref: safeHref };
})(window);
