// The log form: show the inputs the chosen activity asks for, and ask the server what the
// activity earns while the holder types. The server computes the preview with the same rules
// as the save; nothing is computed here.
(function () {
  "use strict";
  const form = document.getElementById("entry-form");
  const rulesScript = document.getElementById("activity-rules");
  if (!form || !rulesScript) {
    return;
  }
  const rules = JSON.parse(rulesScript.textContent);
  const select = form.querySelector("select[name=activity_type]");
  const help = document.getElementById("rule-help");
  const preview = document.getElementById("preview");
  const summary = document.getElementById("save-summary");
  const confirmed = form.querySelector("input[name=confirmed]");
  const quantityLabel = form.querySelector("label[for=id_quantity]");
  let timer = null;
  let controller = null;

  function showFields() {
    const rule = rules[select.value];
    form.querySelectorAll(".rule-field").forEach(function (wrapper) {
      const wanted = Boolean(rule) && rule.fields.includes(wrapper.dataset.field);
      // portal.css shows only the marked fields (the server marked them for the first paint).
      wrapper.classList.toggle("rule-field-needed", wanted);
      // Hidden inputs are left out of the submission, so a stale value cannot get in the way.
      wrapper.querySelectorAll("input").forEach(function (input) {
        input.disabled = !wanted;
      });
    });
    // The amount says its unit: pages read, hours of podcast, questions written.
    if (rule && quantityLabel) {
      quantityLabel.textContent = rule.quantity_label;
    }
    let text = "";
    if (rule) {
      text = rule.summary + ".";
      if (rule.needs_approval) {
        text += " " + form.dataset.approvalNote;
      }
      if (rule.help) {
        text += " " + rule.help;
      }
    }
    help.textContent = text;
  }

  function refresh() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (controller) {
        controller.abort();
      }
      controller = new AbortController();
      const data = new FormData(form);
      data.delete("proof");
      fetch(form.dataset.previewUrl, {
        method: "POST",
        body: data,
        signal: controller.signal,
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.text() : Promise.reject(response.status);
        })
        .then(function (html) {
          preview.innerHTML = html;
          // The preview's verdict in a few words, beside the save button.
          const verdict = preview.querySelector("[data-save-summary]");
          summary.textContent = verdict ? verdict.dataset.saveSummary : "";
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") {
            return;
          }
          preview.textContent = form.dataset.previewFailed;
          summary.textContent = "";
        });
    }, 250);
  }

  select.addEventListener("change", showFields);
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  // The holder has seen the live preview: save without the confirm step.
  form.addEventListener("submit", function () {
    confirmed.value = "on";
  });
  showFields();
  if (select.value) {
    refresh();
  }
})();
