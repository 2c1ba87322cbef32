// Renders a form from the server's form definition (DESIGN §4) and reads it back into
// the `fields` object the server's schema for that form version validates.
import { language, nameOf, t, ts } from "./i18n.js";
import { formatDate, localToday, parseDate } from "./dates.js";
import { formatDecimal, formatMoney, parseDecimal, parseMoney, parseSignedDecimal } from "./numbers.js";
import { search, speciesIndex } from "./search.js";

let serial = 0;
const nextId = () => `f${++serial}`;
const NEIGHBOURS = ["VN", "LA", "CN", "KH", "TH", "MM"];

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}
export { el };

const option = (value, text, selected) => el("option", { value, selected: selected ? true : undefined }, text);
const byName = (a, b) => a.text.localeCompare(b.text, language().replace("_", "-"));

// A retired code or agency (reference data marks them, with a successor) is not offered for
// new entries, but a record or draft that holds one still shows it by name.
const offered = (key, retired, value) => !retired || key === value;

function choices(field, ctx, value) {
  const names = (item) => nameOf(item.names, item.key);
  switch (field.type) {
    case "code": {
      const list = (ctx.codes.get(field.codes)?.items ?? []).filter((item) => offered(item.key, item.retired, value));
      const options = list.map((item) => ({ value: item.key, text: names(item) }));
      if (field.codes === "countries") {
        const first = NEIGHBOURS.map((code) => options.find((o) => o.value === code)).filter(Boolean);
        return [...first, ...options.filter((o) => !NEIGHBOURS.includes(o.value)).sort(byName)];
      }
      return options;
    }
    case "agency":
      return [...ctx.agencies.values()].filter((a) => a?.code && offered(a.code, a.retired, value))
        .map((a) => ({ value: a.code, text: nameOf(a.names, a.code), group: a.country }))
        .sort((a, b) => (a.value === ctx.device?.agency?.code ? -1 : b.value === ctx.device?.agency?.code ? 1 : byName(a, b)));
    case "place":
      return [...ctx.places.values()].filter((p) => p?.key && p.kind)
        .map((p) => ({ value: p.key, text: nameOf(p.names, p.key), group: p.country })).sort(byName);
    case "crossing":
      return [...ctx.crossings.values()].filter((c) => c?.key && c.sides)
        .map((c) => ({ value: c.key, text: nameOf(c.names, c.key) })).sort(byName);
    default:
      return [];
  }
}

function selectFor(field, ctx, id, value) {
  const select = el("select", { id, name: field.name });
  select.append(option("", field.required ? t("Choose…") : "—", !value));
  for (const choice of choices(field, ctx, value)) select.append(option(choice.value, choice.text, choice.value === value));
  if (value && select.value !== value) select.append(option(value, value, true)); // a code retired since
  return select;
}

const speciesLabel = (item) => `${nameOf(item.names, item.key)} — ${item.scientific_name ?? item.key}`;

/**
 * A species field: the officer types any name of the species (scientific, common or trade
 * name, in any of our languages, with or without diacritics) and picks from the matches.
 * The value is the species key, or the text as typed when the officer cannot tell.
 */
function speciesPicker(field, ctx, id, value) {
  ctx.speciesIndex ??= speciesIndex(ctx.species);
  const known = (text) => {
    const lower = text.trim().toLowerCase();
    return [...ctx.species.values()].find((item) => item?.key && (item.key.toLowerCase() === lower
      || item.scientific_name?.toLowerCase() === lower)) ?? null;
  };
  let chosen = value ? known(value) : null;
  const listId = `${id}-options`;
  const input = el("input", { id, name: field.name, type: "text", role: "combobox", autocomplete: "off",
    "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": listId,
    value: chosen ? speciesLabel(chosen) : value ?? "" });
  const list = el("ul", { id: listId, role: "listbox", class: "options", hidden: true });
  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  };
  const choose = (item) => {
    chosen = item;
    input.value = speciesLabel(item);
    close();
    input.focus();
  };
  input.addEventListener("input", () => {
    chosen = null;
    const matches = search(ctx.speciesIndex, input.value, { language: language(), limit: 8 });
    list.replaceChildren(...matches.map(({ item, matched }) => el("li", { role: "option", tabindex: "-1", class: "option",
      "aria-selected": "false", onclick: () => choose(item), onkeydown: (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          choose(item);
        }
      } },
    el("span", {}, nameOf(item.names, item.key)),
    el("i", { class: "muted", lang: "la" }, item.scientific_name ?? item.key),
    matched !== nameOf(item.names) && matched !== item.scientific_name ? el("span", { class: "muted" }, `“${matched}”`) : null)));
    list.hidden = !matches.length;
    input.setAttribute("aria-expanded", String(!list.hidden));
    if (!list.hidden) list.scrollIntoView({ block: "nearest" }); // not under the sticky Submit bar
  });
  // Arrow keys walk the matches; Escape closes them.
  const move = (from, step) => {
    const options = [...list.children];
    const next = options[options.indexOf(from) + step];
    if (next) next.focus();
    else if (step < 0) input.focus();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
    if (event.key === "ArrowDown" && !list.hidden) {
      event.preventDefault();
      list.firstElementChild?.focus();
    }
  });
  list.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.target.closest("li"), event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Escape") {
      close();
      input.focus();
    }
  });
  const current = () => chosen?.key ?? known(input.value)?.key ?? input.value.trim();
  return { input, extra: list, current };
}

function inputFor(field, ctx, id, value) {
  const common = { id, name: field.name, required: field.required || undefined };
  switch (field.type) {
    case "code": case "agency": case "place": case "crossing":
      return selectFor(field, ctx, id, value ?? (field.type === "agency" ? ctx.device?.agency?.code : ""));
    case "date": {
      // Text in the officer's order (dates.js), not the browser's date control. A required date
      // (the day of a seizure) is most often today, on the phone's calendar.
      const input = el("input", { ...common, type: "text", inputmode: "numeric", autocomplete: "off",
        placeholder: formatDate(localToday(), language()), value: formatDate(value ?? (field.required ? localToday() : ""), language()) });
      input.addEventListener("change", () => {
        const date = parseDate(input.value, language());
        if (date) input.value = formatDate(date, language());
      });
      return input;
    }
    case "decimal":
      return el("input", { ...common, type: "text", inputmode: signed(field) ? "text" : "decimal", autocomplete: "off", value: shownNumber(value) });
    case "integer":
      return el("input", { ...common, type: "text", inputmode: "numeric", autocomplete: "off", value: shownNumber(value) });
    case "boolean":
      return el("input", { ...common, type: "checkbox", checked: value === true });
    case "phone":
      return el("input", { ...common, type: "tel", autocomplete: "off", value: value ?? "" });
    case "url":
      return el("input", { ...common, type: "url", autocomplete: "off", value: value ?? "" });
    default:
      if (field.name === "reporting_officer" && ctx.officers?.length) {
        // Phones are shared at border posts: the names used on this phone are offered.
        return el("input", { ...common, type: "text", autocomplete: "off", maxlength: field.max_length, list: "officers",
          value: value ?? ctx.officers[0] });
      }
      if ((field.max_length ?? 0) > 1000) return el("textarea", { ...common, rows: 5, maxlength: field.max_length }, value ?? "");
      return el("input", { ...common, type: "text", autocomplete: "off", maxlength: field.max_length, value: value ?? "" });
  }
}

// Quantities, prices and weights take no sign; a coordinate south or west of zero does.
const signed = (field) => field.minimum !== undefined && field.minimum < 0;
const readNumber = (field, text, code) => (signed(field) ? parseSignedDecimal(text, code) : parseDecimal(text, code));

// "*" marks what is required in the form's current state: a required field of an optional
// section (the GPS fix, the source grading) only once that section is begun; a field required
// when another holds a value (the currency of an amount) only then. refresh() keeps it so.
const requiredMark = () => el("span", { class: "required-mark", "aria-hidden": "true", hidden: true }, " *");

function labelWithMark(tag, props, field) {
  const mark = requiredMark();
  const node = el(tag, props, ts(field.label), mark);
  return { node, setRequired: (needed) => (mark.hidden = !needed) };
}

/** A scalar field: its row in the form and a reader giving {value} or {error}. */
function scalar(field, ctx, value) {
  const id = nextId();
  const picker = field.type === "species" ? speciesPicker(field, ctx, id, value) : null;
  const input = picker?.input ?? inputFor(field, ctx, id, value);
  const error = el("p", { class: "error", id: `${id}-error`, role: "alert", hidden: true });
  input.setAttribute("aria-describedby", error.id);
  const label = labelWithMark("label", { for: id }, field);
  const row = el("div", { class: `field field-${field.type}` }, label.node, input, picker?.extra, error);
  const setRequired = (needed) => {
    label.setRequired(needed);
    input.toggleAttribute("aria-required", needed);
  };
  // raw() also runs just after a language switch, to redraw the form: what was typed is read
  // in the conventions of the language it was typed in, not the new one.
  const typedIn = language();
  const raw = () => {
    if (picker) return picker.current() || undefined;
    if (field.type === "boolean") return input.checked || undefined;
    // A number is kept by its meaning, so "1.500" typed in English is not read as 1500 in Vietnamese.
    if (field.type === "decimal" || field.type === "integer") return readNumber(field, input.value, typedIn) ?? (input.value || undefined);
    if (field.type === "date") return parseDate(input.value, typedIn) ?? (input.value || undefined);
    return input.value || undefined;
  };
  const read = () => {
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    const result = picker ? { value: picker.current() || undefined } : parseValue(field, input, ctx);
    if (result.error) {
      error.textContent = result.error;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
    }
    return result;
  };
  return { node: row, read, raw, input, focus: () => input.focus(), refresh: setRequired };
}

// Numbers travel canonical ("2.5", "25000000") and are shown the officer's way ("2,5",
// "25.000.000" in Vietnamese); formatDecimal leaves text that is not a number yet as typed.
const shownNumber = (value) => formatDecimal(value == null ? "" : String(value), language());

function parseValue(field, input, ctx) {
  if (field.type === "boolean") return { value: input.checked || undefined };
  const text = input.value.trim();
  if (!text) return {};
  // A correction opens in the newest version of its form, whose list may not hold a value of
  // the old one (seizure v1's vehicle kind "road"); the officer picks again rather than the
  // correction landing in quarantine. A retired key is still in its list and still accepted.
  const list = field.type === "code" ? ctx?.codes?.get(field.codes)?.items : null;
  if (list && !list.some((item) => item.key === text)) return { error: t("This choice is not in this version of the form: choose again.") };
  if (field.type === "date") {
    const date = parseDate(text, language());
    if (!date) return { error: t("Enter a date such as {example}.", { example: formatDate(localToday(), language()) }) };
    // A day or two ahead of the phone's calendar may be a zone away; a month ahead is a slip.
    if (date > localToday(new Date(Date.now() + 2 * 86_400_000))) return { error: t("This date is in the future.") };
    return { value: date };
  }
  if (field.type === "decimal" || field.type === "integer") {
    const number = readNumber(field, text, language());
    if (number === null || (field.type === "integer" && number.includes("."))) {
      return { error: field.type === "integer" ? t("Enter a whole number.") : t("Enter a number.") };
    }
    const n = Number(number);
    if ((field.minimum !== undefined && n < field.minimum) || (field.maximum !== undefined && n > field.maximum)) {
      const shown = (limit) => formatDecimal(String(limit), language());
      return { error: t("Enter a number between {min} and {max}.", { min: shown(field.minimum), max: shown(field.maximum) }) };
    }
    return { value: field.type === "integer" ? Number.parseInt(number, 10) : number };
  }
  if (field.max_length && text.length > field.max_length) return { error: t("Too long.") };
  // The server's rules for these types (server/forms/schema.py), checked before sealing so
  // the officer fixes a typo now rather than the record landing in quarantine.
  if (field.type === "url") return webAddress(text);
  if (field.type === "phone" && !PHONE.test(text)) return { error: t("Enter a phone number: digits, spaces and + ( ) . - only.") };
  return { value: text };
}

const PHONE = /^\+?[0-9][0-9 ().-]{2,30}$/;

function webAddress(text) {
  // Addresses are copied from a phone's browser or a screenshot, often without "https://".
  const address = /^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`;
  let url = null;
  try {
    url = new URL(address);
  } catch {
    // not an address at all
  }
  if (!url || !["http:", "https:"].includes(url.protocol) || !url.hostname.includes(".") || /\s/.test(address)) {
    return { error: t("Enter a web address, such as https://shop.example/item.") };
  }
  return { value: address };
}

const empty = (value) => value === undefined || (typeof value === "object" && !Array.isArray(value) && !Object.keys(value).length)
  || (Array.isArray(value) && !value.length);

/** An object's fields side by side; a reader giving the object, or nothing when all empty. */
function object(fields, ctx, values) {
  const parts = fields.map((field) => ({ field, part: build(field, ctx, values?.[field.name]) }));
  // `always`: check required fields even when nothing was typed (the form itself and
  // required objects); an optional object (a GPS fix, a value) is checked only once begun.
  const read = (errors, always = false) => {
    const out = {};
    const failed = new Set();
    for (const { field, part } of parts) {
      const result = part.read(errors);
      if (result.error) {
        failed.add(field.name);
        errors.push({ field, focus: part.focus });
      } else if (!empty(result.value)) out[field.name] = result.value;
    }
    if (!always && empty(out)) return { value: out };
    for (const { field, part } of parts) {
      if (out[field.name] !== undefined || failed.has(field.name) || part.readsOwnErrors) continue;
      const when = field.required_when;
      const needed = when ? (when.equals === null ? out[when.field] !== undefined : out[when.field] === when.equals) : field.required;
      if (needed) {
        part.markRequired();
        errors.push({ field, focus: part.focus });
      }
    }
    return { value: out };
  };
  // What is on screen, unchecked and as typed: survives a language switch or a reload.
  const raw = () => Object.fromEntries(parts.map(({ field, part }) => [field.name, part.raw()]).filter(([, v]) => !empty(v)));
  // `active`: this object will be read as required (the form, a required section, a begun one).
  const refresh = (active) => {
    const values = raw();
    for (const { field, part } of parts) {
      const when = field.required_when;
      const needed = when ? (when.equals === null ? values[when.field] !== undefined : values[when.field] === when.equals)
        : field.required && active;
      part.refresh?.(needed, values[field.name] !== undefined);
    }
  };
  const named = (name) => parts.find(({ field }) => field.name === name)?.part;
  const nodes = parts.map(({ part }) => part.node);
  const gps = named("lat") && named("lon") ? positionButton(named, ctx) : null;
  if (gps) nodes.unshift(gps);
  for (const { field } of parts) {
    if (field.codes === "currencies" && field.required_when) moneyPreview(named(field.required_when.field), named(field.name), ctx);
  }
  return { nodes, read, raw, refresh, focus: () => parts[0]?.part.focus() };
}

const DEFAULT_CURRENCY = { VN: "VND", LA: "LAK", CN: "CNY", TH: "THB", KH: "KHR", MM: "MMK" };

/** Money as the officer reads it ("25.000.000 ₫"), under the amount; a symbol typed with the amount picks the currency. */
function moneyPreview(amount, currency, ctx) {
  if (!amount?.input || !currency?.input) return;
  const shown = el("output", { class: "muted", for: amount.input.id });
  amount.input.after(shown);
  const update = () => {
    const typed = parseMoney(amount.input.value, language());
    if (typed.amount && !currency.input.value) {
      const code = typed.currency ?? DEFAULT_CURRENCY[ctx.device?.agency?.country];
      if (code && [...currency.input.options].some((o) => o.value === code)) currency.input.value = code;
    }
    shown.textContent = typed.amount && currency.input.value ? formatMoney(typed.amount, currency.input.value, language()) : "";
  };
  amount.input.addEventListener("input", update);
  currency.input.addEventListener("change", update);
  update();
}

/** "Use my position": fills latitude, longitude and accuracy from the phone's GPS. */
function positionButton(named, ctx) {
  const status = el("p", { class: "muted", role: "status" });
  const set = (name, value) => {
    const part = named(name);
    if (part?.input) part.input.value = formatDecimal(value, language());
  };
  const button = el("button", { type: "button", class: "secondary", onclick: () => {
    if (!navigator.geolocation) {
      status.textContent = t("This phone cannot give a position. Type the place instead.");
      return;
    }
    status.textContent = t("Finding the position…");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition((position) => {
      const { latitude, longitude, accuracy } = position.coords;
      // Six decimals are about 10 cm: finer than any phone's fix.
      set("lat", String(Number(latitude.toFixed(6))));
      set("lon", String(Number(longitude.toFixed(6))));
      set("accuracy_m", String(Math.round(accuracy)));
      status.textContent = t("Position found, accurate to {metres} m.", { metres: formatDecimal(String(Math.round(accuracy)), language()) });
      button.disabled = false;
    }, () => {
      status.textContent = t("No position. Type the place, or try again outdoors.");
      button.disabled = false;
    }, { enableHighAccuracy: true, timeout: 30_000, maximumAge: 60_000 });
  } }, t("Use my position"));
  return el("div", { class: "position" }, button, status);
}

function withRequiredMark(part) {
  const error = part.node.querySelector(".error");
  part.markRequired = () => {
    error.textContent = t("Required.");
    error.hidden = false;
  };
  return part;
}

function build(field, ctx, value) {
  if (field.type === "object") {
    const inner = object(field.fields, ctx, value);
    const legend = labelWithMark("legend", {}, field);
    const node = el("fieldset", { class: "object" }, legend.node, ...inner.nodes);
    const error = el("p", { class: "error", role: "alert", hidden: true });
    node.append(error);
    return {
      node, focus: inner.focus, raw: inner.raw,
      // A section is read as required when it must be there, or once something is typed in it.
      refresh: (needed, begun) => {
        legend.setRequired(needed);
        inner.refresh(needed || begun);
      },
      read: (errors) => inner.read(errors, field.required),
      markRequired: () => {
        error.textContent = t("Required.");
        error.hidden = false;
      },
    };
  }
  if (field.type === "group") return group(field, ctx, value);
  return withRequiredMark(scalar(field, ctx, value));
}

/** Repeated rows (items, suspects, vehicles…) with add and remove. */
function group(field, ctx, values) {
  const rows = [];
  const list = el("div", { class: "rows" });
  const legendOf = (i) => `${ts(field.label)} ${i + 1}`;
  const renumber = () => rows.forEach((row, i) => (row.legend.textContent = legendOf(i)));
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const addRow = (rowValues) => {
    const inner = object(field.fields, ctx, rowValues);
    const legend = el("legend", {}, legendOf(rows.length));
    const row = { inner, legend };
    const remove = el("button", { type: "button", class: "secondary", onclick: () => {
      rows.splice(rows.indexOf(row), 1);
      row.node.remove();
      renumber();
    } }, t("Remove"));
    row.node = el("fieldset", { class: "row" }, legend, ...inner.nodes, remove);
    rows.push(row);
    list.append(row.node);
    return row;
  };
  const initial = Array.isArray(values) && values.length ? values : Array.from({ length: field.min_items ?? 0 }, () => ({}));
  initial.forEach(addRow);
  const add = el("button", { type: "button", class: "secondary", onclick: () => {
    if (rows.length < (field.max_items ?? 1000)) addRow({}).inner.focus();
  } }, t("Add: {label}", { label: ts(field.label) }));
  const legend = labelWithMark("legend", {}, field);
  const node = el("fieldset", { class: "group" }, legend.node, list, add, error);
  return {
    node, readsOwnErrors: true, focus: () => add.focus(),
    // A row's required fields are required once the row is begun, or when the group needs it.
    refresh: (needed) => {
      legend.setRequired(needed);
      rows.forEach((row, i) => row.inner.refresh((needed && i < (field.min_items || 1)) || !empty(row.inner.raw())));
    },
    // Every row, empty ones too, so the screen comes back as it was.
    raw: () => rows.map((row) => row.inner.raw()),
    read: (errors) => {
      error.hidden = true;
      const value = rows.map((row) => row.inner.read(errors).value).filter((v) => !empty(v));
      if ((field.required || field.min_items) && value.length < (field.min_items ?? 1)) {
        error.textContent = t("Add at least one.");
        error.hidden = false;
        errors.push({ field, focus: () => add.focus() });
      }
      return { value };
    },
  };
}

/**
 * The form for a definition, filled with `values` if given (a draft, a snapshot, or a
 * submitted record being corrected).
 * `read()` gives {fields, errors} and focuses the first error so the officer sees what
 * is missing; `raw()` gives what is on screen, unchecked.
 */
export function renderForm(definition, ctx, values = {}) {
  const form = el("form", { class: "record-form", novalidate: true });
  const root = object(definition.fields, ctx, values);
  form.append(...root.nodes);
  const refresh = () => root.refresh(true);
  for (const type of ["input", "change", "click"]) form.addEventListener(type, refresh);
  refresh();
  if (ctx.officers?.length) form.append(el("datalist", { id: "officers" }, ...ctx.officers.map((name) => el("option", { value: name }))));
  return {
    element: form,
    raw: root.raw,
    read() {
      const errors = [];
      const fields = root.read(errors, true).value;
      if (errors.length) errors[0].focus?.();
      return { fields, errors };
    },
  };
}
