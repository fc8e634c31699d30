// Replenishment and deliveries at the till (issue 5) as the screens use them: the
// generated ts-rs types (ui/pos/src/api/types, from pos-agent and the desktop shell)
// under one import. Never hand-edit the generated files.

export type { Lifecycle } from "../api/types/Lifecycle";
export type { OrderOrigin } from "../api/types/OrderOrigin";
export type { LineView } from "../api/types/LineView";
export type { OrderView } from "../api/types/OrderView";
export type { DeliveryView } from "../api/types/DeliveryView";
export type { ReceivedLineView } from "../api/types/ReceivedLineView";
export type { ReceivingView } from "../api/types/ReceivingView";
export type { StockRequestLine } from "../api/types/StockRequestLine";
export type { CountedLine } from "../api/types/CountedLine";
