// QR codes drawn on the phone, offline: lean-qr (3.5 kB gzipped) as an SVG element, which
// the Content-Security-Policy allows (no inline script, no data: URL needed).
import { generate } from "lean-qr";
import { toSvg } from "lean-qr/extras/svg";

/** An <svg> of `text` as a QR code, labelled for screen readers, its payload kept in data-payload. */
export function qrCode(text, label) {
  const svg = toSvg(generate(text), document, { on: "black", off: "white", pad: 4 });
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("class", "qr");
  svg.dataset.payload = text;
  return svg;
}
