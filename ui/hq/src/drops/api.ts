// REST calls of the Drops page (contract section B, `/api/v1/drops*`).

import { api } from "../api/client";
import type { CreateDrop, DropDetail, DropSummary, PullBack } from "./types";

/** The path of one drop (`sku:TS-1` keys carry a colon: always encoded). */
export function dropPath(key: string, tail = ""): string {
  return `/drops/${encodeURIComponent(key)}${tail}`;
}

/** The key of what `POST /drops` answered (a summary or a detail), if it says. */
export function createdKey(made: unknown): string | null {
  if (!made || typeof made !== "object") return null;
  const m = made as { key?: unknown; summary?: { key?: unknown } };
  if (typeof m.key === "string") return m.key;
  if (m.summary && typeof m.summary.key === "string") return m.summary.key;
  return null;
}

export const dropsApi = {
  list: (signal?: AbortSignal) => api.get<DropSummary[]>("/drops", undefined, signal),
  detail: (key: string, signal?: AbortSignal) => api.get<DropDetail>(dropPath(key), undefined, signal),
  create: (body: CreateDrop) => api.post<unknown>("/drops", body),
  pullBack: (key: string, body: PullBack = {}) => api.post<unknown>(dropPath(key, "/pull-back"), body),
  end: (key: string) => api.post<unknown>(dropPath(key, "/end")),
};
