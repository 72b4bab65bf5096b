// Registration (issue 5): a click on a suggested category selects it in the form.
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("[data-pick-category]");
  if (!b) return;
  var select = document.getElementById("id_category");
  if (!select) return;
  select.value = b.getAttribute("data-pick-category");
  select.dispatchEvent(new Event("change", { bubbles: true }));
  select.focus();
});
