// Split tender: still to pay, change due, card excess, quick cash.
import { describe, expect, it } from "vitest";

import { addTender, canComplete, quickCash, removeTender, settleLocal } from "../src/logic/tender";

describe("tender", () => {
  it("shows what is still to pay", () => {
    expect(settleLocal(30000, [{ kind: "cash", amount: 10000 }])).toEqual({ paid: 10000, remaining: 20000, changeDue: 0, excess: 0 });
  });
  it("gives change only from cash", () => {
    expect(settleLocal(30000, [{ kind: "card", amount: 20000 }, { kind: "cash", amount: 50000 }])).toMatchObject({ remaining: 0, changeDue: 40000, excess: 0 });
    expect(settleLocal(30000, [{ kind: "card", amount: 35000 }])).toMatchObject({ remaining: 0, changeDue: 0, excess: 5000 });
  });
  it("an open tender takes the rest", () => {
    expect(settleLocal(30000, [{ kind: "cash", amount: 10000 }, { kind: "card", amount: null }])).toMatchObject({ paid: 30000, remaining: 0 });
  });
  it("adds the typed amount or the rest, nothing once covered", () => {
    let ts = addTender([], 30000, "cash", 10000);
    ts = addTender(ts, 30000, "card", null);
    expect(ts).toEqual([{ kind: "cash", amount: 10000 }, { kind: "card", amount: 20000 }]);
    expect(addTender(ts, 30000, "other", null)).toBe(ts);
    expect(canComplete(30000, ts)).toBe(true);
    expect(canComplete(30000, removeTender(ts, 1))).toBe(false);
    expect(canComplete(30000, [{ kind: "card", amount: 40000 }])).toBe(false);
    expect(canComplete(0, [])).toBe(true);
  });
  it("offers round cash amounts above the total", () => {
    expect(quickCash(27300, 0)).toEqual([27300, 28000, 30000, 50000]);
    expect(quickCash(1999, 2)).toEqual([1999, 2000, 5000, 10000]);
    expect(quickCash(0, 0)).toEqual([]);
  });
});
