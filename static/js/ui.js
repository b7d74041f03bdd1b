// Page behaviour that used to be inline handlers (onclick/onsubmit), so the
// Content-Security-Policy can forbid inline script.
//   <form data-confirm="Xóa …?">  asks before submitting;
//   <input data-select-on-click>  selects its text when clicked.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.hasAttribute("data-select-on-click")) {
      el.select();
    }
  });
})();
