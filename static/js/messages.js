// The people picker of a new message: a filter box over the checkboxes and a live count of
// who is chosen. Without it the form is a plain list of checkboxes and works the same.
(function () {
  "use strict";
  const picker = document.querySelector("[data-people-picker]");
  if (!picker) return;
  const filterBox = picker.querySelector("[data-people-filter]");
  const input = filterBox && filterBox.querySelector("input");
  const count = picker.querySelector("[data-people-count]");
  const options = Array.from(picker.querySelectorAll(".people-option"));
  const MAX = 7;

  function label(option) {
    return (option.textContent || "").trim().replace(/\s+/g, " ");
  }

  function update() {
    const chosen = options.filter((o) => {
      const box = o.querySelector("input[type=checkbox]");
      const on = Boolean(box && box.checked);
      o.classList.toggle("is-chosen", on);
      return on;
    });
    if (!count) return;
    if (!chosen.length) {
      count.textContent = "Nobody chosen yet.";
    } else {
      const names = chosen.map((o) => label(o).split(" — ")[0]);
      const over = chosen.length > MAX ? " That is more than " + MAX + ": choose fewer." : "";
      count.textContent = chosen.length + " chosen: " + names.join(", ") + "." + over;
    }
  }

  function filter() {
    const words = (input.value || "").toLowerCase().split(/\s+/).filter(Boolean);
    for (const option of options) {
      const text = label(option).toLowerCase();
      const box = option.querySelector("input[type=checkbox]");
      const match = words.every((w) => text.includes(w));
      option.hidden = !(match || (box && box.checked));
    }
  }

  if (filterBox && input && options.length > 8) {
    filterBox.hidden = false;
    input.addEventListener("input", filter);
    // Enter in the filter box must not send the form half written.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
  }
  picker.addEventListener("change", update);
  update();
})();
