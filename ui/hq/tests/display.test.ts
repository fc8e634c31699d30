import { describe, expect, it } from "vitest";

import { patchData } from "../src/components/chart";
import { daysBetween, formatPhone } from "../src/format";
import { translateCode } from "../src/i18n";
import { detailText, shortTarget } from "../src/pages/Audit";
import { sortSizes, styleName } from "../src/pages/Catalog";

describe("display helpers", () => {
  it("groups Korean phone numbers and leaves others alone", () => {
    expect(formatPhone("01039149024")).toBe("010-3914-9024");
    expect(formatPhone("0111234567")).toBe("011-123-4567");
    expect(formatPhone("0212345678")).toBe("02-1234-5678");
    expect(formatPhone("021234567")).toBe("02-123-4567");
    expect(formatPhone("+821039149024")).toBe("+821039149024");
  });

  it("lists every day of a period", () => {
    expect(daysBetween("2026-10-30", "2026-11-02")).toEqual(["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"]);
    expect(daysBetween("2026-11-02", "2026-11-01")).toEqual([]);
    expect(daysBetween("nope", "2026-11-01")).toEqual([]);
  });

  it("orders sizes as a shop does", () => {
    expect(sortSizes(["L", "M", "S", "XL", "XS"])).toEqual(["XS", "S", "M", "L", "XL"]);
    expect(sortSizes(["32", "28", "30", "free"])).toEqual(["28", "30", "32", "free"]);
  });

  it("names a style without its first variant's colour and size", () => {
    const v = { sku: "TSH-001-BEI-L", name: "Oxford tee beige L", colour: "beige", size: "L" };
    const style = { style: "TSH-001", name: "Oxford tee beige L", category: "tops", colours: ["beige"], sizes: ["L"], variants: [v] };
    expect(styleName(style as never)).toBe("Oxford tee");
    expect(styleName({ ...style, name: null, variants: [] } as never)).toBe("TSH-001");
  });

  it("shows audit details and long targets readably", () => {
    expect(detailText({ ip: "127.0.0.1" })).toBe("ip: 127.0.0.1");
    expect(detailText({ expires_at_ms: 0, ttl_minutes: 60 })).toBe("expires_at: 1970-01-01T00:00:00.000Z · ttl_minutes: 60");
    expect(detailText({ a: null, b: [1] })).toBe("b: [1]");
    expect(detailText({})).toBe("");
    expect(shortTarget("A,B,C,D,E")).toEqual({ text: "A, B, C", more: 2 });
    expect(shortTarget("admin")).toEqual({ text: "admin", more: 0 });
  });

  it("labels codes, falling back to the code itself", () => {
    expect(translateCode("ko", "tender", "card")).toBe("카드");
    expect(translateCode("en", "action", "user.create")).toBe("User created");
    expect(translateCode("en", "tender", "voucher")).toBe("voucher");
  });

  it("updates chart data in place, keeping dataset objects", () => {
    const first = { label: "a", data: [1] };
    const cur = { labels: ["x"], datasets: [first, { label: "b", data: [2] }] };
    patchData(cur, { labels: ["x", "y"], datasets: [{ label: "a", data: [3, 4] }] });
    expect(cur.labels).toEqual(["x", "y"]);
    expect(cur.datasets).toHaveLength(1);
    expect(cur.datasets[0]).toBe(first);
    expect(first.data).toEqual([3, 4]);
  });
});
