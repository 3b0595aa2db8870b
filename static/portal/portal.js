/*
 * CX Vet vendor portal: progressive enhancements. Every page works without this file
 * (the Save button posts the whole section); with it, answers save in the background
 * on change and when leaving a field, follow-up questions appear and disappear as the
 * server decides, documents upload as soon as they are chosen, and a save based on an
 * answer someone else changed shows both versions instead of overwriting.
 *
 * An answer carried forward from the vendor's previous answers is confirmed in place.
 *
 * A save that does not get through (no connection, a server or proxy error, the
 * database restarting, too many requests) is tried again with growing, jittered delays
 * until it does; what was typed stays in the page, and in this browser's storage until
 * the server confirms it, so a reload or a crash brings it back. Only the portal's own
 * "this link does not work" reply (404 or 410 with its X-Portal-Link header) stops.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // The sticky save bar is taller where its buttons wrap (a phone): the page's scroll
  // padding (portal.css) follows its height, so a field focused or scrolled to stops
  // above it. Set through the CSSOM, which the Content-Security-Policy allows.
  var saveBar = document.querySelector(".save-bar");
  if (saveBar) {
    var fitSaveBar = function () {
      document.documentElement.style.setProperty("--save-bar-height", saveBar.offsetHeight + "px");
    };
    fitSaveBar();
    if (window.ResizeObserver) new window.ResizeObserver(fitSaveBar).observe(saveBar);
    window.addEventListener("resize", fitSaveBar);
  }

  var DRAFTS_ROOT = "cxvet-unsaved:";
  var DRAFT_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

  // Answers this browser kept unsaved (below, "Unsaved answers kept in this browser"):
  // on every portal page, those older than 30 days go; and where the page says nothing
  // more can be saved through its link (submitted, withdrawn, expired), all of the link's.
  dropDrafts(tooOld);
  if (document.querySelector("[data-forget-drafts]")) {
    dropDrafts(ofLink(draftsPrefix(window.location.pathname)));
  }

  // After a Save that came back with errors, a reload should show what is stored now
  // (answers fixed since were autosaved), not post the old form again.
  if (window.history.replaceState) { window.history.replaceState(null, "", window.location.href); }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  var form = document.querySelector("form.section-form");
  if (!form) { return; }

  var TYPING_DELAY_MS = 1500;
  // Ticking several boxes of one question is one answer: saved (and recorded in the
  // audit trail) once, after a pause or when the vendor leaves the question.
  var CHOICE_DELAY_MS = 1500;
  var RETRY_FIRST_MS = 1000;      // then doubling, each delay jittered, up to:
  var RETRY_MAX_MS = 30000;
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var statusLine = form.querySelector("[data-save-status]");
  var progressLine = document.querySelector("[data-section-progress]");
  var maxBytes = parseInt(form.dataset.maxBytes || "0", 10);

  var queues = {};      // question key -> promise of its last save (saves run in order)
  var timers = {};      // question key -> pending typing timer
  var dirty = {};       // question key -> true when changed since the last save
  var retries = {};     // question key -> {attempts, timer} while its save is retried
  var notAsked = {};    // question key -> true when its save was refused as not asked
  var inFlight = 0;
  var linkGone = false;
  var lastSaved = null;   // " at 14:05 UTC" once a save came back
  var drafts = draftStore();

  function urlFor(template, key, id) {
    var url = template.replace("__key__", encodeURIComponent(key));
    return id === undefined ? url : url.replace("/0/remove/", "/" + id + "/remove/");
  }

  function cardOf(element) { return element.closest("[data-question]"); }
  function cardFor(key) { return form.querySelector('[data-question="' + key + '"]'); }

  function setCardState(card, text, isError) {
    var slot = card.querySelector("[data-save-state]");
    if (!slot) { return; }
    slot.textContent = text;
    slot.classList.toggle("is-error", !!isError);
  }

  function setStatus(text, isError) {
    if (!statusLine) { return; }
    statusLine.textContent = text;
    statusLine.classList.toggle("text-danger", !!isError);
    statusLine.classList.toggle("text-body-secondary", !isError);
  }

  // The bar at the bottom speaks for the whole page: any answer still not saved wins.
  function showOverallStatus() {
    if (linkGone) { return; }
    if (Object.keys(retries).length) {
      setStatus("Not saved, retrying… Your answers stay on this page until they are saved.", true);
    } else if (lastSaved !== null) {
      setStatus("All changes saved" + lastSaved);
    }
  }

  function answerData(card) {
    var data = new FormData();
    card.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (!el.name || el.type === "file" || el.disabled) { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      data.append(el.name, el.value);
    });
    return data;
  }

  // The app's own answer (JSON, not a server error or a rate limit), or a rejection:
  // error.gone for the portal's "this link does not work" page, otherwise a passing
  // failure worth retrying (error.retryAfterMs when the server said how long to wait).
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, "Accept": "application/json" }
    }).then(function (response) {
      var error;
      if ((response.status === 404 || response.status === 410) && response.headers.get("X-Portal-Link")) {
        error = new Error("link");
        error.gone = true;
        throw error;
      }
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== -1 && response.status < 500 && response.status !== 429) {
        return response.json();
      }
      error = new Error("HTTP " + response.status);
      var seconds = parseInt(response.headers.get("Retry-After") || "", 10);
      if (seconds > 0) { error.retryAfterMs = seconds * 1000; }
      throw error;
    });
  }

  function retryDelay(attempts, retryAfterMs) {
    var ceiling = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * Math.pow(2, attempts - 1));
    // Jittered, so that pages cut off by the same outage do not all come back at once.
    var delay = ceiling / 2 + Math.random() * ceiling / 2;
    return Math.min(RETRY_MAX_MS, Math.max(delay, retryAfterMs || 0));
  }

  // Saving ---------------------------------------------------------------------------

  function markDirty(card, delay) {
    var key = card.dataset.question;
    dirty[key] = true;
    drafts.remember(card);
    clearTimeout(timers[key]);
    if (delay) {
      timers[key] = setTimeout(function () { save(key); }, delay);
    } else {
      save(key);
    }
  }

  function save(key) {
    clearTimeout(timers[key]);
    delete timers[key];
    if (retries[key]) { clearTimeout(retries[key].timer); }
    var previous = queues[key] || Promise.resolve();
    var next = previous.then(function () { return saveNow(key); });
    queues[key] = next.catch(function () {});
    return next;
  }

  function saveNow(key) {
    if (!dirty[key]) { return Promise.resolve(); }
    var card = cardFor(key);
    if (!card || card.hasAttribute("data-readonly")) { return Promise.resolve(); }
    if (linkGone) { return Promise.resolve(); }
    delete dirty[key];
    inFlight += 1;
    if (!retries[key]) {
      setCardState(card, "Saving…");
      setStatus("Saving…");
    }
    return post(urlFor(form.dataset.autosaveUrl, key), answerData(card))
      .then(function (reply) {
        delete retries[key];
        applyReply(card, reply);
      })
      .catch(function (error) {
        dirty[key] = true;
        if (error.gone) {
          stopForGoneLink();
          return;
        }
        var retry = retries[key] || (retries[key] = { attempts: 0 });
        retry.attempts += 1;
        retry.timer = setTimeout(function () { save(key); }, retryDelay(retry.attempts, error.retryAfterMs));
        setCardState(card, "Not saved, retrying… Your answer stays here until it is saved.", true);
        showOverallStatus();
      })
      .then(function () { inFlight -= 1; });
  }

  function retryNow() {
    Object.keys(retries).forEach(save);
  }

  // The portal itself says the link no longer works: nothing can be saved through it
  // again, so stop, forget the stored copies, and leave what was typed in the page.
  function stopForGoneLink() {
    linkGone = true;
    Object.keys(retries).forEach(function (key) { clearTimeout(retries[key].timer); });
    retries = {};
    drafts.forgetAll();
    form.querySelectorAll("[data-question]").forEach(function (card) {
      if (dirty[card.dataset.question]) {
        setCardState(card, "Not saved: this link no longer works. Copy your answer before leaving.", true);
      }
    });
    setStatus("Not saved: this link no longer works. Reload the page to see why.", true);
  }

  function setHidden(name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (input) { input.value = value; }
  }

  function applyReply(card, reply) {
    var key = card.dataset.question;
    clearErrors(card);
    if (reply.status === "invalid") {
      // Kept in storage too: the value stays for correcting, after a reload as well.
      card.classList.add("has-error");
      showErrors(card, reply.errors);
      setCardState(card, "Not saved: please correct the answer above.", true);
      setStatus("One answer needs correcting before it can be saved.", true);
      return;
    }
    if (reply.status === "locked") {
      drafts.forget(key);
      setCardState(card, reply.message || "This answer can no longer change.", true);
      return;
    }
    if (reply.status === "not_asked") {
      // Nothing was saved: the other answers no longer ask this question. What was typed
      // stays in the page, and is saved if the question applies again.
      drafts.forget(key);
      notAsked[key] = true;
      setCardState(card, reply.message, true);
      setStatus(reply.message, true);
      applyVisibility(reply.visible);
      showProgress(reply.section_progress);
      return;
    }
    setHidden(reply.revision_field, reply.revision);
    setHidden(reply.loaded_field, reply.loaded);
    if (reply.status === "conflict") {
      // The stored copy keeps the revision it was based on, so a reload shows the
      // conflict again rather than saving over their answer.
      showConflict(card, reply);
      setCardState(card, "Not saved: someone else changed this answer.", true);
      setStatus("Someone else changed an answer: choose which to keep.", true);
    } else {
      clearConflict(card);
      if (dirty[key]) {
        drafts.remember(card);  // typed on while this save was on its way
      } else {
        drafts.forget(key);
      }
      var when = reply.saved_at ? " at " + reply.saved_at : "";
      lastSaved = when;
      setCardState(card, reply.status === "saved" || reply.status === "unchanged" ? "Saved" + when : "");
      showOverallStatus();
    }
    applyVisibility(reply.visible);
    toggleExplain(card, reply.explain_needed, reply.explain_prompt);
    showDerived(reply.derived);
    if (reply.carried === false) { clearCarried(card); } else { showCarriedBar(); }
    showProgress(reply.section_progress);
  }

  // Carried-forward answers ---------------------------------------------------------------

  // Changing an answer confirms it too: the notice and its button go.
  function clearCarried(card) {
    card.querySelectorAll("[data-carried], [data-carried-badge]").forEach(function (el) { el.hidden = true; });
    showCarriedBar();
  }

  // The page's "N answers were carried forward" line counts the Confirm buttons left.
  function showCarriedBar() {
    var bar = form.querySelector("[data-carried-bar]");
    if (!bar) { return; }
    var left = 0;
    form.querySelectorAll("[data-question]").forEach(function (card) {
      var notice = card.querySelector("[data-carried]");
      if (!card.hidden && notice && !notice.hidden && notice.querySelector("[data-confirm-answer]")) { left += 1; }
    });
    bar.hidden = left === 0;
    var count = bar.querySelector("[data-carried-count]");
    if (count) { count.textContent = left === 1 ? "One answer" : left + " answers"; }
  }

  function confirmAnswer(card) {
    var key = card.dataset.question;
    setCardState(card, "Confirming…");
    // A change still on its way is saved first: it confirms the answer by itself.
    save(key).then(function () {
      inFlight += 1;
      return post(urlFor(form.dataset.confirmUrl, key), new FormData())
        .then(function (reply) {
          if (reply.status === "confirmed" || reply.status === "unchanged") {
            setHidden(reply.revision_field, reply.revision);
            setHidden(reply.loaded_field, reply.loaded);
            if (!reply.carried) { clearCarried(card); }
            setCardState(card, "Confirmed" + (reply.saved_at ? " at " + reply.saved_at : ""));
            showProgress(reply.section_progress);
          } else {
            setCardState(card, reply.message || "This answer could not be confirmed.", true);
          }
        })
        .catch(function (error) {
          if (error.gone) { stopForGoneLink(); return; }
          setCardState(card, "Not confirmed: check your connection, then press Confirm again.", true);
        })
        .then(function () { inFlight -= 1; });
    });
  }

  function applyVisibility(visibleKeys) {
    var visible = {};
    visibleKeys.forEach(function (key) { visible[key] = true; });
    form.querySelectorAll("[data-question]").forEach(function (card) {
      var show = !!visible[card.dataset.question];
      if (show === !card.hidden) { return; }
      card.hidden = !show;
      if (!show) { return; }
      setCardState(card, "This follow-up question now applies to you.");
      if (notAsked[card.dataset.question]) {
        delete notAsked[card.dataset.question];
        markDirty(card, 0);
      }
    });
  }

  // Values the server works out from other answers (a rate from two counts).
  function showDerived(derived) {
    Object.keys(derived || {}).forEach(function (key) {
      var value = form.querySelector('[data-question="' + key + '"] [data-derived-value]');
      if (value && value.textContent !== derived[key]) { value.textContent = derived[key]; }
    });
  }

  function toggleExplain(card, needed, prompt) {
    var notice = card.querySelector("[data-explain-notice]");
    if (!notice) { return; }
    var promptText = notice.querySelector("[data-explain-prompt]");
    if (promptText && prompt) { promptText.textContent = prompt; }
    notice.hidden = !needed;
    if (needed) { card.querySelector("[data-comment]").open = true; }
  }

  function showProgress(progress) {
    if (progressLine && progress) {
      progressLine.textContent = progress.answered + " of " + progress.total + " answered";
    }
  }

  // Errors (the server's words, next to the field) -------------------------------------

  function clearErrors(card) {
    card.classList.remove("has-error");
    card.querySelectorAll("[data-autosave-error]").forEach(function (el) { el.remove(); });
    card.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
  }

  function showErrors(card, errors) {
    Object.keys(errors).forEach(function (fieldId) {
      var input = document.getElementById(fieldId) || card.querySelector('[id^="' + fieldId + '_"]');
      var message = document.createElement("div");
      message.className = "invalid-feedback d-block";
      message.setAttribute("data-autosave-error", "");
      message.id = fieldId + "_autosave_error";
      message.textContent = errors[fieldId].join(" ");
      var container = input ? (input.closest(".input-group") || input.closest(".form-check") || input) : card;
      if (input) {
        input.classList.add("is-invalid");
        input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + message.id).trim());
      }
      container.insertAdjacentElement("afterend", message);
    });
  }

  // Conflicts ----------------------------------------------------------------------------

  function clearConflict(card) {
    var slot = card.querySelector("[data-conflict-slot]");
    if (slot) { slot.innerHTML = ""; }
    card.classList.remove("is-conflict");
  }

  function showConflict(card, reply) {
    var slot = card.querySelector("[data-conflict-slot]");
    slot.innerHTML = reply.conflict_html;
    card.classList.add("is-conflict");
    slot.querySelector('[data-conflict-action="mine"]').addEventListener("click", function () {
      clearConflict(card);
      markDirty(card, 0);
    });
    slot.querySelector('[data-conflict-action="theirs"]').addEventListener("click", function () {
      fillAnswer(card, reply.theirs);
      drafts.forget(card.dataset.question);
      clearConflict(card);
      setCardState(card, "Showing their answer (already saved).");
    });
  }

  function fillAnswer(card, answer) {
    var key = card.dataset.question;
    var value = answer.value;
    var values = Array.isArray(value) ? value.map(String) : (value === null ? [] : [String(value)]);
    card.querySelectorAll('[name="' + key + '"]').forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values.indexOf(el.value) !== -1;
      } else {
        el.value = values.length ? values[0] : "";
      }
    });
    var comment = card.querySelector('[name="' + key + '-comment"]');
    if (comment) { comment.value = answer.comment || ""; }
  }

  // Unsaved answers kept in this browser --------------------------------------------------
  //
  // From the first keystroke until the server confirms it, each question's answer is
  // kept in localStorage under a key naming the link (a digest of its token, never the
  // token itself) and the question, with the revision it was based on. A reload, or
  // coming back after the browser closed, puts it back in its field and saves it; the
  // server then saves it, finds it saved already, or shows that someone else changed the
  // answer meanwhile. A copy is forgotten once saved (or found saved already), when the
  // server says the answer can no longer change or is not asked, when the link stops
  // working, once the response is submitted (the page of what was sent says so), and
  // after 30 days. An explicit Save marks the copies: if the answer's revision moved on
  // by the next visit, that Save went through and the copy is dropped.

  function draftStore() {
    var storage = null;
    try {
      storage = window.localStorage;
      storage.getItem("cxvet");
    } catch (e) {
      storage = null;  // storage turned off: answers are still retried while the page is open
    }
    var prefix = draftsPrefix(form.dataset.autosaveUrl || window.location.pathname);

    function read(key) {
      try { return JSON.parse(storage.getItem(prefix + key)); } catch (e) { return null; }
    }
    function write(key, entry) {
      try { storage.setItem(prefix + key, JSON.stringify(entry)); } catch (e) { /* full */ }
    }
    function remember(card, submitted) {
      if (storage) {
        write(card.dataset.question, { at: Date.now(), fields: fieldsOf(card), submitted: !!submitted });
      }
    }
    function forget(key) { if (storage) { storage.removeItem(prefix + key); } }

    function restoreCard(card) {
      var key = card.dataset.question;
      var entry = read(key);
      if (!entry || !Array.isArray(entry.fields)) { return; }
      var here = fieldsOf(card);
      var revision = key + "-revision";
      var sameAnswer = answerOnly(here, key) === answerOnly(entry.fields, key);
      var savedSince = entry.submitted && valueOf(entry.fields, revision) !== valueOf(here, revision);
      if (card.hasAttribute("data-readonly") || sameAnswer || savedSince) {
        forget(key);
        return;
      }
      fillFields(card, entry.fields);
      setCardState(card, "Restored your unsaved answer from this browser. Saving…");
      markDirty(card, 0);
    }

    return {
      remember: remember,
      forget: forget,
      forgetAll: function () { dropDrafts(ofLink(prefix)); },
      markSubmitted: function () {
        if (!storage) { return; }
        form.querySelectorAll("[data-question]").forEach(function (card) {
          if (read(card.dataset.question)) { remember(card, true); }
        });
      },
      restore: function () {
        if (!storage) { return; }
        form.querySelectorAll("[data-question]").forEach(restoreCard);
      }
    };
  }

  // The start of the storage keys of the link a portal URL names.
  function draftsPrefix(address) {
    var match = /\/portal\/([^/]+)\//.exec(address);
    return DRAFTS_ROOT + digest(match ? match[1] : address) + ":";
  }

  // Remove the stored answers for which drop(name, entry) holds.
  function dropDrafts(drop) {
    try {
      var storage = window.localStorage;
      var names = [];
      for (var i = 0; i < storage.length; i++) {
        var name = storage.key(i);
        if (name && name.indexOf(DRAFTS_ROOT) === 0) { names.push(name); }
      }
      names.forEach(function (name) {
        var entry = null;
        try { entry = JSON.parse(storage.getItem(name)); } catch (e) { entry = null; }
        if (drop(name, entry)) { storage.removeItem(name); }
      });
    } catch (e) { /* storage turned off: nothing is kept */ }
  }

  function tooOld(name, entry) { return !entry || !(Date.now() - entry.at < DRAFT_MAX_AGE_MS); }

  function ofLink(prefix) { return function (name) { return name.indexOf(prefix) === 0; }; }

  // A short digest: names the link in storage without writing its token there. Two
  // 32-bit lanes, the first FNV-1a, the second seeded apart and mixed with its own
  // shifted value (docs/security.md, "Unsaved answers in the browser").
  function digest(text) {
    var a = 0x811c9dc5, b = 0x050c5d1f;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    return (a >>> 0).toString(16) + (b >>> 0).toString(16);
  }

  function fieldsOf(card) {
    var fields = [];
    answerData(card).forEach(function (value, name) { fields.push([name, value]); });
    return fields;
  }

  function valueOf(fields, name) {
    for (var i = 0; i < fields.length; i++) { if (fields[i][0] === name) { return fields[i][1]; } }
    return null;
  }

  // The answer and comment as sent, without the revision and fingerprint they rest on.
  function answerOnly(fields, key) {
    return JSON.stringify(fields.filter(function (field) {
      return field[0] !== key + "-revision" && field[0] !== key + "-loaded";
    }));
  }

  function fillFields(card, fields) {
    card.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (!el.name || el.type === "file" || el.disabled) { return; }
      var values = fields.filter(function (f) { return f[0] === el.name; }).map(function (f) { return f[1]; });
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values.indexOf(el.value) !== -1;
      } else if (el.multiple) {
        Array.prototype.forEach.call(el.options, function (option) {
          option.selected = values.indexOf(option.value) !== -1;
        });
      } else {
        el.value = values.length ? values[0] : "";
      }
    });
    var comment = card.querySelector('[name="' + card.dataset.question + '-comment"]');
    if (comment && comment.value) { card.querySelector("[data-comment]").open = true; }
  }

  // Documents ----------------------------------------------------------------------------

  function humanSize(bytes) {
    var units = [["MB", 1024 * 1024], ["KB", 1024]];
    for (var i = 0; i < units.length; i++) {
      if (bytes >= units[i][1]) {
        return (bytes / units[i][1]).toFixed(1).replace(/\.0$/, "") + " " + units[i][0];
      }
    }
    return bytes + " bytes";
  }

  function evidenceReply(card, reply) {
    var box = card.querySelector("[data-evidence]");
    var list = box.querySelector("[data-evidence-list]");
    list.outerHTML = reply.list_html;
    var status = box.querySelector("[data-evidence-status]");
    status.classList.toggle("text-danger", reply.errors.length > 0);
    status.textContent = reply.errors.length
      ? reply.errors.join(" ")
      : (reply.added.length ? "Attached " + reply.added.join(", ") + "." : "File removed.");
    showProgress(reply.section_progress);
  }

  function upload(card, input) {
    var key = card.dataset.question;
    var status = card.querySelector("[data-evidence-status]");
    var data = new FormData();
    var tooBig = [];
    Array.prototype.forEach.call(input.files, function (file) {
      if (maxBytes && file.size > maxBytes) {
        tooBig.push(file.name + ": This file is " + humanSize(file.size) + "; the limit is " + humanSize(maxBytes) + ".");
      } else {
        data.append(input.name, file);
      }
    });
    input.value = "";
    if (tooBig.length) {
      status.classList.add("text-danger");
      status.textContent = tooBig.join(" ");
    }
    if (!data.has(input.name)) { return; }
    status.classList.remove("text-danger");
    status.textContent = "Uploading…";
    inFlight += 1;
    post(urlFor(form.dataset.evidenceUrl, key), data)
      .then(function (reply) {
        if (reply.list_html !== undefined) {
          evidenceReply(card, reply);
          if (tooBig.length) {
            status.classList.add("text-danger");
            status.textContent = tooBig.concat(reply.errors).join(" ");
          }
        } else {
          status.textContent = reply.message;
        }
      })
      .catch(function (error) {
        status.classList.add("text-danger");
        status.textContent = error.gone
          ? "Not uploaded: this link no longer works. Reload the page to see why."
          : "Upload failed: check your connection, then choose the file again.";
      })
      .then(function () { inFlight -= 1; });
  }

  function removeFile(card, button) {
    var key = card.dataset.question;
    var status = card.querySelector("[data-evidence-status]");
    inFlight += 1;
    post(urlFor(form.dataset.evidenceRemoveUrl, key, button.dataset.removeEvidence), new FormData())
      .then(function (reply) {
        if (reply.list_html !== undefined) {
          evidenceReply(card, reply);
        } else {
          status.textContent = (reply.errors || [reply.message]).join(" ");
        }
      })
      .catch(function () {
        status.textContent = "The file could not be removed: check your connection and try again.";
      })
      .then(function () { inFlight -= 1; });
  }

  // Wiring -------------------------------------------------------------------------------

  var typingTypes = { text: true, textarea: true, date: false };

  // A figure and a declared answer ("not measured") exclude each other: choosing one
  // clears the other, so what is saved is what the card shows.
  function keepOneOfFigureAndDeclared(card, target) {
    var declared = card.querySelector("[data-declared] select");
    var figure = card.querySelector('input[name="' + card.dataset.question + '"]');
    if (!declared || !figure) { return; }
    if (target === declared && declared.value) { figure.value = ""; }
    if (target === figure && figure.value) { declared.value = ""; }
  }

  // A grid cell's amount box shows only for the answers that take a limit ("acts alone
  // up to a limit"); without JavaScript every box shows and the server keeps an amount
  // only where the answer takes one.
  function showGridLimit(select) {
    var takes = (select.dataset.takesLimit || "").split(" ");
    var box = select.closest("td") && select.closest("td").querySelector("[data-grid-limit]");
    if (box) { box.hidden = takes.indexOf(select.value) < 0; }
  }
  form.querySelectorAll("select[data-takes-limit]").forEach(showGridLimit);

  form.addEventListener("input", function (event) {
    var card = cardOf(event.target);
    if (!card || event.target.type === "file") { return; }
    keepOneOfFigureAndDeclared(card, event.target);
    var typing = event.target.tagName === "TEXTAREA" || typingTypes[event.target.type];
    if (typing) { markDirty(card, TYPING_DELAY_MS); }
  });

  // Back online: try now rather than at the end of the current wait.
  window.addEventListener("online", retryNow);

  form.addEventListener("change", function (event) {
    var card = cardOf(event.target);
    if (!card) { return; }
    keepOneOfFigureAndDeclared(card, event.target);
    if (event.target.dataset.takesLimit !== undefined) { showGridLimit(event.target); }
    if (event.target.type === "file") {
      upload(card, event.target);
    } else if (event.target.type === "checkbox") {
      markDirty(card, CHOICE_DELAY_MS);
    } else {
      markDirty(card, 0);
    }
  });

  form.addEventListener("focusout", function (event) {
    var card = cardOf(event.target);
    if (!card || !dirty[card.dataset.question]) { return; }
    // From one box of a question to the next is not leaving the question.
    var next = event.relatedTarget;
    if (event.target.type === "checkbox" && next && card.contains(next)) { return; }
    save(card.dataset.question);
  });

  form.addEventListener("click", function (event) {
    var confirmButton = event.target.closest("[data-confirm-answer]");
    if (confirmButton) {
      event.preventDefault();
      confirmAnswer(cardOf(confirmButton));
      return;
    }
    var button = event.target.closest("[data-remove-evidence]");
    if (!button) { return; }
    event.preventDefault();
    removeFile(cardOf(button), button);
  });

  // An explicit Save waits for background saves, so the two never cross.
  var submitting = false;
  form.addEventListener("submit", function (event) {
    if (submitting) { return; }
    var waiting = Object.keys(timers).length > 0 || inFlight > 0;
    if (!waiting) {
      submitting = true;
      drafts.markSubmitted();
      return;
    }
    event.preventDefault();
    var submitter = event.submitter;
    Object.keys(timers).forEach(save);
    var all = Object.keys(queues).map(function (key) { return queues[key]; });
    Promise.all(all).then(function () {
      submitting = true;
      drafts.markSubmitted();
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
    });
  });

  drafts.restore();

  window.addEventListener("beforeunload", function (event) {
    var unsaved = Object.keys(dirty).length > 0 || inFlight > 0 || Object.keys(retries).length > 0;
    if (unsaved && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
