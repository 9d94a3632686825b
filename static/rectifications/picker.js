// Searchable pickers of the rectification item form (templates/rectifications/_picker.html).
// Without this script the chips are checkboxes to untick and 搜索 posts the form back; with it a
// result ticked becomes a chip, × removes one, and the picker announces `picker:change` (the
// 责任单位 picker's reloads the people pickers for the units chosen).
(function () {
  "use strict";

  function changed(picker) {
    picker.dispatchEvent(new CustomEvent("picker:change", { bubbles: true }));
  }

  function chip(input, removeLabel) {
    const label = document.createElement("label");
    label.className = "rect-chip";
    label.setAttribute("data-picker-chip", "");
    const box = document.createElement("input");
    box.className = "form-check-input";
    box.type = input.type;
    box.name = input.name;
    box.value = input.value;
    const text = document.createElement("span");
    text.textContent = input.dataset.label;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "rect-chip-x";
    remove.setAttribute("data-picker-remove", "");
    remove.setAttribute("aria-label", removeLabel + input.dataset.label);
    remove.textContent = "\u00d7";
    label.append(box, text, remove);
    return { label, box };
  }

  function choose(picker, input) {
    const chosen = picker.querySelector("[data-picker-chosen]");
    const results = picker.querySelector("[data-picker-results]");
    const multiple = picker.dataset.multiple === "1";
    if (!multiple) chosen.replaceChildren();
    const existing = Array.from(chosen.querySelectorAll("input")).some((i) => i.value === input.value);
    if (!existing) {
      const made = chip(input, picker.dataset.removeLabel || "");
      chosen.append(made.label);
      made.box.checked = true;
    }
    if (multiple) {
      input.closest("[data-picker-result]").remove();
    } else {
      results.replaceChildren();
      const search = picker.querySelector("[data-picker-search]");
      search.value = "";
    }
    changed(picker);
  }

  function live(root) {
    root.querySelectorAll("[data-picker]").forEach((picker) => picker.classList.add("is-live"));
  }

  document.addEventListener("change", (event) => {
    const input = event.target;
    const picker = input.closest && input.closest("[data-picker]");
    if (!picker || !picker.classList.contains("is-live")) return;
    if (input.closest("[data-picker-result]") && input.checked) choose(picker, input);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-picker-remove]");
    if (!button) return;
    const picker = button.closest("[data-picker]");
    event.preventDefault();
    button.closest("[data-picker-chip]").remove();
    changed(picker);
  });

  // Enter in a search box searches now instead of submitting the whole form.
  document.addEventListener("keydown", (event) => {
    const search = event.target.closest && event.target.closest("[data-picker-search]");
    if (!search || event.key !== "Enter" || !search.closest(".is-live")) return;
    event.preventDefault();
    search.dispatchEvent(new Event("search"));
  });

  document.addEventListener("DOMContentLoaded", () => live(document));
  document.addEventListener("htmx:load", (event) => live(event.target));
})();
