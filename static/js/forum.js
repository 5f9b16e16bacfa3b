// @mention suggestions in the forum's message boxes. Typing "@" and part of a name lists the
// cohort's members who match; arrow keys move through the list, Enter or Tab inserts the
// highlighted handle, Escape closes the list. Without JavaScript, handles can be typed in full.
(function () {
  "use strict";

  const MENTION_BEFORE_CARET = /(^|[^\w.@/+-])@([A-Za-z0-9._-]{0,40})$/;

  function setUp(textarea, index) {
    const source = textarea.dataset.mentionSource;
    const listId = (textarea.id || "message-" + index) + "-mentions";
    const list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Members to mention");
    list.hidden = true;
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    textarea.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", listId);

    let results = [];
    let active = -1;
    let range = null;
    let timer = null;
    let controller = null;

    function mentionAtCaret() {
      const caret = textarea.selectionStart;
      if (caret !== textarea.selectionEnd) return null;
      const match = textarea.value.slice(0, caret).match(MENTION_BEFORE_CARET);
      if (!match) return null;
      return { start: caret - match[2].length - 1, end: caret, prefix: match[2] };
    }

    function close() {
      list.hidden = true;
      list.replaceChildren();
      results = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(next) {
      const options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (next + options.length) % options.length;
      options.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
      textarea.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function choose(i) {
      const member = results[i];
      const where = mentionAtCaret() || range;
      if (!member || !where) return;
      textarea.setRangeText("@" + member.handle + " ", where.start, where.end, "end");
      close();
      textarea.focus();
      status.textContent = member.name + " will be mentioned.";
    }

    function show(found) {
      list.replaceChildren();
      results = found;
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
      if (!found.length) {
        list.hidden = true;
        status.textContent = "No member of this cohort matches.";
        return;
      }
      found.forEach((member, i) => {
        const option = document.createElement("li");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const name = document.createElement("span");
        name.className = "mention-name";
        name.textContent = member.name;
        const detail = document.createElement("span");
        detail.className = "mention-detail";
        detail.textContent = "@" + member.handle + " · " + member.team;
        option.append(name, " ", detail);
        // mousedown, not click: the textarea must keep the focus and the caret.
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(i);
        });
        list.append(option);
      });
      list.hidden = false;
      status.textContent =
        found.length + (found.length === 1 ? " member matches" : " members match") +
        ". Use the up and down arrows, then Enter.";
    }

    async function lookUp(prefix) {
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const response = await fetch(source + "?q=" + encodeURIComponent(prefix), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: controller.signal,
        });
        if (!response.ok) return close();
        const data = await response.json();
        if (mentionAtCaret()) show(data.results || []);
      } catch (error) {
        if (error.name !== "AbortError") close();
      }
    }

    textarea.addEventListener("input", () => {
      range = mentionAtCaret();
      clearTimeout(timer);
      if (!range) return close();
      timer = setTimeout(() => lookUp(range.prefix), 120);
    });

    textarea.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active < 0 ? -1 : active - 1);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });

    textarea.addEventListener("blur", () => setTimeout(close, 150));
  }

  document.querySelectorAll("textarea[data-mention-source]").forEach(setUp);

  // After "Quote", the reply box holds the quotation: put the caret after it, ready to write.
  const reply = document.querySelector("textarea[data-quoting]");
  if (reply) {
    reply.setSelectionRange(reply.value.length, reply.value.length);
    reply.focus();
  }
})();
