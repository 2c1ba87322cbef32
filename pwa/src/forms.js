// Renders a form from the server's form definition (DESIGN §4) and reads it back into
// the `fields` object the server's schema for that form version validates.
import { language, nameOf, t, ts } from "./i18n.js";

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

function choices(field, ctx) {
  const names = (item) => nameOf(item.names, item.key);
  switch (field.type) {
    case "code": {
      const list = ctx.codes.get(field.codes)?.items ?? [];
      const options = list.map((item) => ({ value: item.key, text: names(item) }));
      if (field.codes === "countries") {
        const first = NEIGHBOURS.map((code) => options.find((o) => o.value === code)).filter(Boolean);
        return [...first, ...options.filter((o) => !NEIGHBOURS.includes(o.value)).sort(byName)];
      }
      return options;
    }
    case "agency":
      return [...ctx.agencies.values()].filter((a) => a?.code)
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
  for (const choice of choices(field, ctx)) select.append(option(choice.value, choice.text, choice.value === value));
  if (value && select.value !== value) select.append(option(value, value, true)); // a code retired since
  return select;
}

function speciesList(ctx, form) {
  let list = form.querySelector("datalist#species-list");
  if (!list) {
    list = el("datalist", { id: "species-list" });
    for (const item of ctx.species.values()) {
      if (item?.scientific_name) list.append(el("option", { value: item.key, label: nameOf(item.names, item.key) }));
    }
    form.append(list);
  }
  return list.id;
}

function inputFor(field, ctx, id, value, form) {
  const common = { id, name: field.name, required: field.required || undefined };
  switch (field.type) {
    case "code": case "agency": case "place": case "crossing":
      return selectFor(field, ctx, id, value ?? (field.type === "agency" ? ctx.device?.agency?.code : ""));
    case "date":
      // A required date (the day of a seizure) is most often today, on the phone's calendar.
      return el("input", { ...common, type: "date", value: value ?? (field.required ? localToday() : "") });
    case "decimal":
      return el("input", { ...common, type: "text", inputmode: "decimal", autocomplete: "off", value: value ?? "" });
    case "integer":
      return el("input", { ...common, type: "text", inputmode: "numeric", autocomplete: "off", value: value ?? "" });
    case "boolean":
      return el("input", { ...common, type: "checkbox", checked: value === true });
    case "phone":
      return el("input", { ...common, type: "tel", autocomplete: "off", value: value ?? "" });
    case "url":
      return el("input", { ...common, type: "url", autocomplete: "off", value: value ?? "" });
    case "species":
      return el("input", { ...common, type: "text", autocomplete: "off", list: speciesList(ctx, form), value: value ?? "" });
    default:
      if ((field.max_length ?? 0) > 1000) return el("textarea", { ...common, rows: 5, maxlength: field.max_length }, value ?? "");
      return el("input", { ...common, type: "text", autocomplete: "off", maxlength: field.max_length, value: value ?? "" });
  }
}

function localToday() {
  const now = new Date();
  return [now.getFullYear(), now.getMonth() + 1, now.getDate()].map((n) => String(n).padStart(2, "0")).join("-");
}

const labelText = (field) => ts(field.label) + (field.required ? " *" : "");

/** A scalar field: its row in the form and a reader giving {value} or {error}. */
function scalar(field, ctx, value, form) {
  const id = nextId();
  const input = inputFor(field, ctx, id, value, form);
  const error = el("p", { class: "error", id: `${id}-error`, role: "alert", hidden: true });
  input.setAttribute("aria-describedby", error.id);
  const row = el("div", { class: `field field-${field.type}` }, el("label", { for: id }, labelText(field)), input, error);
  const read = () => {
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    const result = parseValue(field, input);
    if (result.error) {
      error.textContent = result.error;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
    }
    return result;
  };
  return { node: row, read, focus: () => input.focus() };
}

function parseNumber(text) {
  // 2,5 and 2.5 both mean two and a half; thousands separators are for part 2's locale formats
  const normal = /^-?\d+,\d+$/.test(text) ? text.replace(",", ".") : text;
  return /^-?\d+(\.\d+)?$/.test(normal) ? normal : null;
}

function parseValue(field, input) {
  if (field.type === "boolean") return { value: input.checked || undefined };
  const text = input.value.trim();
  if (!text) return {};
  if (field.type === "decimal" || field.type === "integer") {
    const number = parseNumber(text);
    if (number === null || (field.type === "integer" && number.includes("."))) {
      return { error: field.type === "integer" ? t("Enter a whole number.") : t("Enter a number.") };
    }
    const n = Number(number);
    if ((field.minimum !== undefined && n < field.minimum) || (field.maximum !== undefined && n > field.maximum)) {
      return { error: t("Enter a number between {min} and {max}.", { min: field.minimum, max: field.maximum }) };
    }
    return { value: field.type === "integer" ? Number.parseInt(number, 10) : number };
  }
  if (field.max_length && text.length > field.max_length) return { error: t("Too long.") };
  return { value: text };
}

const empty = (value) => value === undefined || (typeof value === "object" && !Array.isArray(value) && !Object.keys(value).length)
  || (Array.isArray(value) && !value.length);

/** An object's fields side by side; a reader giving the object, or nothing when all empty. */
function object(fields, ctx, values, form) {
  const parts = fields.map((field) => ({ field, part: build(field, ctx, values?.[field.name], form) }));
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
  return { nodes: parts.map(({ part }) => part.node), read, focus: () => parts[0]?.part.focus() };
}

function withRequiredMark(part) {
  const error = part.node.querySelector(".error");
  part.markRequired = () => {
    error.textContent = t("Required.");
    error.hidden = false;
  };
  return part;
}

function build(field, ctx, value, form) {
  if (field.type === "object") {
    const inner = object(field.fields, ctx, value, form);
    const node = el("fieldset", { class: "object" }, el("legend", {}, labelText(field)), ...inner.nodes);
    const error = el("p", { class: "error", role: "alert", hidden: true });
    node.append(error);
    return {
      node, focus: inner.focus,
      read: (errors) => inner.read(errors, field.required),
      markRequired: () => {
        error.textContent = t("Required.");
        error.hidden = false;
      },
    };
  }
  if (field.type === "group") return group(field, ctx, value, form);
  return withRequiredMark(scalar(field, ctx, value, form));
}

/** Repeated rows (items, suspects, vehicles…) with add and remove. */
function group(field, ctx, values, form) {
  const rows = [];
  const list = el("div", { class: "rows" });
  const legendOf = (i) => `${ts(field.label)} ${i + 1}`;
  const renumber = () => rows.forEach((row, i) => (row.legend.textContent = legendOf(i)));
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const addRow = (rowValues) => {
    const inner = object(field.fields, ctx, rowValues, form);
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
  const node = el("fieldset", { class: "group" }, el("legend", {}, labelText(field)), list, add, error);
  return {
    node, readsOwnErrors: true, focus: () => add.focus(),
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
 * The form for a definition, filled with `values` (a draft) if given. `read()` gives
 * {fields, errors}; the first error is focused so the officer sees what is missing.
 */
export function renderForm(definition, ctx, values = {}) {
  const form = el("form", { class: "record-form", novalidate: true });
  const root = object(definition.fields, ctx, values, form);
  form.prepend(...root.nodes);
  return {
    element: form,
    read() {
      const errors = [];
      const fields = root.read(errors, true).value;
      if (errors.length) errors[0].focus?.();
      return { fields, errors };
    },
  };
}
