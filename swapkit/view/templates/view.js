// swapkit view: a filter applies as soon as it changes (the form works without this too).
document.querySelectorAll("form.filters select").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
