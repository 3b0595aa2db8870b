/*
 * CX Vet vendor portal: progressive enhancements. Every page works without this file
 * (the Save button posts the whole section); with it, answers save in the background
 * on change and when leaving a field, follow-up questions appear and disappear as the
 * server decides, documents upload as soon as they are chosen, and a save based on an
 * answer someone else changed shows both versions instead of overwriting.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

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
  var RETRY_DELAY_MS = 5000;
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var statusLine = form.querySelector("[data-save-status]");
  var progressLine = document.querySelector("[data-section-progress]");
  var maxBytes = parseInt(form.dataset.maxBytes || "0", 10);

  var queues = {};      // question key -> promise of its last save (saves run in order)
  var timers = {};      // question key -> pending typing timer
  var dirty = {};       // question key -> true when changed since the last save
  var inFlight = 0;
  var failed = false;

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

  function setStatus(text) { if (statusLine) { statusLine.textContent = text; } }

  function answerData(card) {
    var data = new FormData();
    card.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (!el.name || el.type === "file" || el.disabled) { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      data.append(el.name, el.value);
    });
    return data;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // 404/410/429 pages: the link stopped working while the page was open.
        var error = new Error("link");
        error.status = response.status;
        throw error;
      }
      return response.json();
    });
  }

  // Saving ---------------------------------------------------------------------------

  function markDirty(card, delay) {
    var key = card.dataset.question;
    dirty[key] = true;
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
    var previous = queues[key] || Promise.resolve();
    var next = previous.then(function () { return saveNow(key); });
    queues[key] = next.catch(function () {});
    return next;
  }

  function saveNow(key) {
    if (!dirty[key]) { return Promise.resolve(); }
    var card = cardFor(key);
    if (!card || card.hasAttribute("data-readonly")) { return Promise.resolve(); }
    delete dirty[key];
    inFlight += 1;
    setCardState(card, "Saving…");
    setStatus("Saving…");
    return post(urlFor(form.dataset.autosaveUrl, key), answerData(card))
      .then(function (reply) { applyReply(card, reply); })
      .catch(function (error) {
        if (error.status) {
          failed = true;
          setCardState(card, "Not saved: this link no longer works. Reload the page.", true);
          setStatus("Not saved: reload the page to see why.");
          return;
        }
        dirty[key] = true;
        failed = true;
        setCardState(card, "Not saved yet: no connection. Retrying…", true);
        setStatus("Some answers are not saved yet: retrying…");
        setTimeout(function () { save(key); }, RETRY_DELAY_MS);
      })
      .then(function () { inFlight -= 1; });
  }

  function setHidden(name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (input) { input.value = value; }
  }

  function applyReply(card, reply) {
    clearErrors(card);
    if (reply.status === "invalid") {
      showErrors(card, reply.errors);
      setCardState(card, "Not saved: please correct the answer above.", true);
      setStatus("One answer needs correcting before it can be saved.");
      return;
    }
    if (reply.status === "locked") {
      setCardState(card, reply.message || "This answer can no longer change.", true);
      return;
    }
    setHidden(reply.revision_field, reply.revision);
    setHidden(reply.loaded_field, reply.loaded);
    if (reply.status === "conflict") {
      showConflict(card, reply);
      setCardState(card, "Not saved: someone else changed this answer.", true);
      setStatus("Someone else changed an answer: choose which to keep.");
    } else {
      clearConflict(card);
      failed = false;
      var when = reply.saved_at ? " at " + reply.saved_at : "";
      setCardState(card, reply.status === "saved" ? "Saved" + when : "");
      setStatus("All changes saved" + when);
    }
    applyVisibility(reply.visible);
    toggleExplain(card, reply.explain_needed);
    showProgress(reply.section_progress);
  }

  function applyVisibility(visibleKeys) {
    var visible = {};
    visibleKeys.forEach(function (key) { visible[key] = true; });
    form.querySelectorAll("[data-question]").forEach(function (card) {
      var show = !!visible[card.dataset.question];
      if (show === !card.hidden) { return; }
      card.hidden = !show;
      if (show) { setCardState(card, "This follow-up question now applies to you."); }
    });
  }

  function toggleExplain(card, needed) {
    var notice = card.querySelector("[data-explain-notice]");
    if (!notice) { return; }
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
    card.classList.remove("border-danger");
  }

  function showConflict(card, reply) {
    var slot = card.querySelector("[data-conflict-slot]");
    slot.innerHTML = reply.conflict_html;
    card.classList.add("border-danger");
    slot.querySelector('[data-conflict-action="mine"]').addEventListener("click", function () {
      clearConflict(card);
      markDirty(card, 0);
    });
    slot.querySelector('[data-conflict-action="theirs"]').addEventListener("click", function () {
      fillAnswer(card, reply.theirs);
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
      .catch(function () {
        status.classList.add("text-danger");
        status.textContent = "Upload failed: check your connection, then choose the file again.";
      })
      .then(function () { inFlight -= 1; });
  }

  function removeFile(card, button) {
    var key = card.dataset.question;
    inFlight += 1;
    post(urlFor(form.dataset.evidenceRemoveUrl, key, button.dataset.removeEvidence), new FormData())
      .then(function (reply) { evidenceReply(card, reply); })
      .catch(function () {
        var status = card.querySelector("[data-evidence-status]");
        status.textContent = "The file could not be removed: check your connection and try again.";
      })
      .then(function () { inFlight -= 1; });
  }

  // Wiring -------------------------------------------------------------------------------

  var typingTypes = { text: true, textarea: true, date: false };

  form.addEventListener("input", function (event) {
    var card = cardOf(event.target);
    if (!card || event.target.type === "file") { return; }
    var typing = event.target.tagName === "TEXTAREA" || typingTypes[event.target.type];
    if (typing) { markDirty(card, TYPING_DELAY_MS); }
  });

  form.addEventListener("change", function (event) {
    var card = cardOf(event.target);
    if (!card) { return; }
    if (event.target.type === "file") {
      upload(card, event.target);
    } else {
      markDirty(card, 0);
    }
  });

  form.addEventListener("focusout", function (event) {
    var card = cardOf(event.target);
    if (card && dirty[card.dataset.question]) { save(card.dataset.question); }
  });

  form.addEventListener("click", function (event) {
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
      return;
    }
    event.preventDefault();
    var submitter = event.submitter;
    Object.keys(timers).forEach(save);
    var all = Object.keys(queues).map(function (key) { return queues[key]; });
    Promise.all(all).then(function () {
      submitting = true;
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
    });
  });

  window.addEventListener("beforeunload", function (event) {
    var unsaved = Object.keys(dirty).length > 0 || inFlight > 0 || failed;
    if (unsaved && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
