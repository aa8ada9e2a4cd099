// A "Copy" button beside a read-only field (data-copy names the field): copies its value and
// says so. Without JavaScript the button is hidden and the field can be selected and copied.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    const field = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.getAttribute("aria-describedby"));
    button.addEventListener("click", function () {
      field.select();
      const copied = navigator.clipboard
        ? navigator.clipboard.writeText(field.value)
        : Promise.reject(new Error("no clipboard"));
      copied.catch(function () {
        // An older browser, or a page not served over HTTPS: the selected text is copied the
        // old way.
        document.execCommand("copy");
      }).then(function () {
        if (status) {
          status.textContent = status.dataset.copied;
        }
      });
    });
  });
})();
