// Copy buttons: <button data-copy="ID"> copies the value of the element with
// that id to the clipboard and says so on the button for a moment.
"use strict";
document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button[data-copy]");
  if (!btn) return;
  const field = document.getElementById(btn.dataset.copy);
  if (!field) return;
  const text = field.value ?? field.textContent;
  const label = btn.dataset.label || btn.textContent;
  btn.dataset.label = label;
  try {
    await navigator.clipboard.writeText(text);
    btn.textContent = "Copied";
  } catch {
    // Without clipboard access (plain HTTP, say) select the text so that
    // the person can copy it with the keyboard.
    field.focus();
    field.select();
    btn.textContent = "Press Ctrl+C";
  }
  setTimeout(() => { btn.textContent = label; }, 2000);
});
