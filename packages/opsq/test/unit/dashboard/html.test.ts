/** The html template escapes what it interpolates. */
import { describe, expect, it } from "vitest";
import { escapeHtml, html, raw } from "../../../src/dashboard/html.js";

describe("html", () => {
  it("escapes interpolated text, in content and attributes, and keeps safe markup", () => {
    const hostile = `"><script>alert('x')</script>`;
    const out = html`<a title="${hostile}">${hostile}</a>${raw("<b>ok</b>")}${[html`<i>${"<"}</i>`, 1]}${undefined}${false}`;
    expect(out.text).toBe(
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</a><b>ok</b><i>&lt;</i>1',
    );
    expect(escapeHtml("a&b`")).toBe("a&amp;b&#96;");
  });
});
