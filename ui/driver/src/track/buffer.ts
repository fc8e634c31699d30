// The position buffer: every fix the phone measures is written to IndexedDB
// before anything else happens to it, and leaves only when the hub has
// answered 200 for the batch that carried it. A closed tab, a dead battery or
// an hour without signal loses nothing that was measured.
//
// One object store, keyed by the device timestamp `ts_ms` (the hub identifies
// a point by (driver, ts_ms) too), so the natural key order is the time order
// the sender needs, and a fix measured twice with the same timestamp is one
// record.

import type { GpsPoint } from "../api/types";

/** A buffered fix and the shipment that was being driven when it was measured. */
export interface BufferedPoint {
  /** The shipment of the batch it goes in (null: tracking without a shipment). */
  shipment: string | null;
  /** The fix. */
  point: GpsPoint;
}

/** Where fixes wait for the hub (IndexedDB in the page; the same code in the tests). */
export interface PointStore {
  /** Write a fix durably (resolves when the transaction committed). */
  put(p: BufferedPoint): Promise<void>;
  /** Up to `limit` fixes, oldest first. */
  oldest(limit: number): Promise<BufferedPoint[]>;
  /** Forget exactly these fixes (by `ts_ms`). */
  remove(tsMs: number[]): Promise<void>;
  /** How many fixes wait. */
  count(): Promise<number>;
}

/** Name of the page's database. */
export const DB_NAME = "storelink-driver";
const DB_VERSION = 1;
const STORE = "points";

/** A stored record: the key, the shipment and the fix. */
interface Row {
  ts_ms: number;
  shipment: string | null;
  point: GpsPoint;
}

function done(req: IDBRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
  });
}

/** The buffer in IndexedDB. */
export class IdbPointStore implements PointStore {
  private constructor(private readonly db: IDBDatabase) {}

  /** Open (creating on first use) the buffer in `factory` (the page's `indexedDB`). */
  static open(factory: IDBFactory = indexedDB, name = DB_NAME): Promise<IdbPointStore> {
    return new Promise((resolve, reject) => {
      const req = factory.open(name, DB_VERSION);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(STORE)) {
          req.result.createObjectStore(STORE, { keyPath: "ts_ms" });
        }
      };
      req.onsuccess = () => resolve(new IdbPointStore(req.result));
      req.onerror = () => reject(req.error ?? new Error("IndexedDB could not be opened"));
      req.onblocked = () => reject(new Error("IndexedDB is blocked by another tab of this page"));
    });
  }

  async put(p: BufferedPoint): Promise<void> {
    const tx = this.db.transaction(STORE, "readwrite", { durability: "strict" });
    const row: Row = { ts_ms: p.point.ts_ms, shipment: p.shipment, point: p.point };
    tx.objectStore(STORE).put(row);
    await committed(tx);
  }

  oldest(limit: number): Promise<BufferedPoint[]> {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(STORE, "readonly");
      const req = tx.objectStore(STORE).getAll(null, Math.max(1, limit));
      req.onsuccess = () =>
        resolve((req.result as Row[]).map((r) => ({ shipment: r.shipment, point: r.point })));
      req.onerror = () => reject(req.error ?? new Error("IndexedDB read failed"));
    });
  }

  async remove(tsMs: number[]): Promise<void> {
    if (tsMs.length === 0) return;
    const tx = this.db.transaction(STORE, "readwrite", { durability: "strict" });
    const store = tx.objectStore(STORE);
    for (const ts of tsMs) store.delete(ts);
    await committed(tx);
  }

  async count(): Promise<number> {
    const tx = this.db.transaction(STORE, "readonly");
    const req = tx.objectStore(STORE).count();
    await done(req);
    return req.result;
  }

  /** Close the database (tests; the page keeps it open). */
  close(): void {
    this.db.close();
  }
}
