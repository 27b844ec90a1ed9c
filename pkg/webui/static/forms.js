// A form's error summary links to the fields with mistakes: following a
// link moves the focus to the field itself (not only the view), so the
// keyboard goes on from there. Without this script the link still
// scrolls to the field.
document.addEventListener("click", function (e) {
  var a = e.target.closest ? e.target.closest(".error-summary a[href^='#']") : null;
  if (!a) { return; }
  var el = document.getElementById(decodeURIComponent(a.hash.slice(1)));
  if (!el) { return; }
  var field = el.matches("input, select, textarea, button") ? el : el.querySelector("input, select, textarea, button");
  if (!field) { return; }
  e.preventDefault();
  el.scrollIntoView({ block: "center" });
  if (e.detail > 0) { field.focus(); return; }
  // Followed with Enter: the focus moves once the key is up, so that the
  // key does not also send the field's form.
  var moved = false;
  var move = function () { if (!moved) { moved = true; field.focus(); } };
  document.addEventListener("keyup", move, { once: true });
  setTimeout(move, 500);
});
