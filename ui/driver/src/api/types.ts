// The hub's API types the driver page uses. They are generated from the Rust
// types by ts-rs into the console's tree (ui/hq/src/api/types; `cargo test`
// writes them, `cargo xtask test` checks they are committed) and only
// re-exported here, so the page never compiles against a hand-written copy.

export type { BatchOutcome } from "../../../hq/src/api/types/BatchOutcome";
export type { DriverToday } from "../../../hq/src/api/types/DriverToday";
export type { GpsPoint } from "../../../hq/src/api/types/GpsPoint";
export type { Lifecycle } from "../../../hq/src/api/types/Lifecycle";
export type { LoginResponse } from "../../../hq/src/api/types/LoginResponse";
export type { Me } from "../../../hq/src/api/types/Me";
export type { LineJson } from "../../../hq/src/api/types/LineJson";
export type { PositionBatch } from "../../../hq/src/api/types/PositionBatch";
export type { Role } from "../../../hq/src/api/types/Role";
export type { ShipmentJson } from "../../../hq/src/api/types/ShipmentJson";
export type { StopJson } from "../../../hq/src/api/types/StopJson";
