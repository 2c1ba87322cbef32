// What identifies a record or a draft to the officer who made it, in a line: the species and
// quantities, and the place. Kept (encrypted under the PIN key) after the readable copy has
// expired, so "My records" can still say what each record was. People's names are never in it.

const MAX_ITEMS = 5;

/** {items: [{species, quantity, unit}], place} from a form's fields (sealed or as typed). */
export function summaryOf(fields = {}) {
  const items = (Array.isArray(fields.items) ? fields.items : [])
    .filter((item) => item && typeof item === "object" && item.species)
    .slice(0, MAX_ITEMS)
    .map(({ species, quantity, unit }) => ({ species: String(species), quantity: quantity ?? null, unit: unit ?? null }));
  const place = fields.place?.name ?? fields.place?.crossing ?? fields.place?.province ?? fields.platform ?? null;
  return { items, place: place == null ? null : String(place) };
}
