// The cart panel: member chip, lines (name, variant, qty −/+, unit price,
// discount, line total), and the totals. Lines not yet priced by the core
// show the estimate and "updating…"; a rejected quote shows its message.

import type { JSX } from "preact";
import { memo } from "preact/compat";
import { useEffect, useRef } from "preact/hooks";

import type { UiError } from "../api/types/UiError";
import { ErrorBox, useApp } from "../components/ui";
import { formatPhone } from "../format";
import type { Cart, CartLine, CartTotals } from "../logic/cart";
import type { T } from "../i18n";
import { type CartHold, type LimitedBadge, heldFor, limitedBadge, limitedFor } from "../logic/limited";

export function CartView(props: {
  cart: Cart;
  totals: CartTotals;
  quoteError: UiError | null;
  onSelect: (i: number) => void;
  onInc: (i: number, by: number) => void;
  onRemove: (i: number) => void;
  onDetachMember: () => void;
}): JSX.Element {
  const { t, money, lang } = useApp();
  // The last quote's word on limited SKUs (kept while a newer quote is on its way).
  const badgeOf = (l: CartLine): LimitedBadge | null => {
    const s = limitedFor(cart.quote, l.sku);
    return s ? limitedBadge(s, l.qty, heldFor(cart.hold, l.sku)) : null;
  };
  const { cart, totals } = props;
  const listRef = useRef<HTMLDivElement>(null);

  // Keep the selected line in view.
  useEffect(() => {
    const el = listRef.current?.querySelector<HTMLElement>(".cart-line.selected");
    el?.scrollIntoView({ block: "nearest" });
  }, [cart.selected, cart.addSeq]);

  return (
    <div class="cart" data-testid="cart">
      <header class="cart-head">
        <h2>{t("sell.cart")}</h2>
        <span class="muted" data-testid="cart-count" data-count={totals.items}>
          {t(totals.items === 1 ? "sell.items_one" : "sell.items", { n: totals.items })}
        </span>
      </header>
      {cart.member && (
        <div class="member-chip" data-testid="cart-member">
          <span class="avatar">{(cart.member.name ?? "?").slice(0, 1)}</span>
          <span>
            <strong>{cart.member.name ?? "—"}</strong>
            <span class="muted small"> · {formatPhone(cart.member.phone ?? "")}</span>
          </span>
          <button class="icon-btn" onClick={props.onDetachMember} aria-label={t("member.detach")} data-testid="member-detach">
            ×
          </button>
        </div>
      )}
      <div class="cart-lines" ref={listRef} role="listbox" aria-label={t("sell.cart")}>
        {cart.lines.length === 0 ? (
          <div class="cart-empty muted">
            <div class="cart-empty-icon">⌁</div>
            {t("sell.cart_empty")}
          </div>
        ) : (
          cart.lines.map((l, i) => (
            <Line
              key={l.sku}
              line={l}
              index={i}
              selected={i === cart.selected}
              flash={l.sku === cart.lastAdded}
              seq={l.sku === cart.lastAdded ? cart.addSeq : 0}
              onSelect={props.onSelect}
              onInc={props.onInc}
              onRemove={props.onRemove}
              money={money}
              lang={lang}
              limited={badgeOf(l)}
              held={cart.hold && cart.hold.sku === l.sku ? cart.hold : null}
              t={t}
            />
          ))
        )}
      </div>
      <ErrorBox error={props.quoteError} testid="quote-error" />
      {totals.needsApproval && !cart.approverPin && (
        <div class="banner banner-warn" data-testid="needs-approval">
          {t("sell.needs_approval", { pct: totals.limitPct ?? "" })}
        </div>
      )}
      {cart.approverPin && <div class="banner banner-good">{t("sell.approved")}</div>}
      <div class="totals">
        <div class="trow">
          <span>{t("sell.subtotal")}</span>
          <span class="num" data-testid="cart-subtotal">{money(totals.gross)}</span>
        </div>
        {totals.discount > 0 && (
          <div class="trow discount">
            <span>{t("sell.discount")}</span>
            <span class="num" data-testid="cart-discount">−{money(totals.discount)}</span>
          </div>
        )}
        <div class="trow grand">
          <span>
            {t("sell.total")}
            {totals.estimated && <span class="muted small est"> {t("sell.estimated")}</span>}
          </span>
          <span class="num" data-testid="cart-total" data-total={totals.total} data-estimated={String(totals.estimated)}>
            {money(totals.total)}
          </span>
        </div>
      </div>
      <div class="muted small keys-hint">{t("sell.keys")}</div>
    </div>
  );
}

const Line = memo(function Line(props: {
  line: CartLine;
  index: number;
  selected: boolean;
  flash: boolean;
  seq: number;
  onSelect: (i: number) => void;
  onInc: (i: number, by: number) => void;
  onRemove: (i: number) => void;
  money: (n: number) => string;
  lang: string;
  limited: LimitedBadge | null;
  held: CartHold | null;
  t: T;
}): JSX.Element {
  const { line: l, index: i, money } = props;
  const variant = [l.colour, l.size].filter(Boolean).join(" / ");
  return (
    <div
      class={`cart-line ${props.selected ? "selected" : ""} ${props.flash ? "flash" : ""}`}
      role="option"
      aria-selected={props.selected}
      onClick={() => props.onSelect(i)}
      data-testid="cart-line"
      data-sku={l.sku}
      data-qty={l.qty}
      data-quoted={String(l.quoted)}
    >
      <div class="cl-main">
        <div class="cl-name">{l.name}</div>
        <div class="cl-sub muted small">
          <span class="mono">{l.sku}</span>
          {variant && <span> · {variant}</span>}
          {l.priceLabel && <span class="tag">{l.priceLabel}</span>}
        </div>
        {props.limited && (
          <div
            class={`limited-badge limited-${props.limited.state}`}
            data-testid="line-limited"
            data-state={props.limited.state}
            data-available={props.limited.available}
            data-elsewhere={props.limited.elsewhere}
          >
            {props.t(props.limited.key, props.limited.vars)}
          </div>
        )}
        {props.held && (
          <div class="limited-held small" data-testid="line-held" data-hold={props.held.id}>
            {props.held.note ? props.t("limited.held_line", { note: props.held.note }) : props.t("limited.held_line_no_note")}
          </div>
        )}
      </div>
      <div class="cl-qty" onClick={(e) => e.stopPropagation()}>
        <button class="qty-btn" onClick={() => props.onInc(i, -1)} aria-label="−1" data-testid="qty-dec" tabIndex={-1}>
          −
        </button>
        <span class="qty" data-testid="line-qty">{l.qty}</span>
        <button class="qty-btn" onClick={() => props.onInc(i, 1)} aria-label="+1" data-testid="qty-inc" tabIndex={-1}>
          +
        </button>
      </div>
      <div class="cl-amount">
        <div class="num strong" data-testid="line-total">{money(l.lineTotal)}</div>
        <div class="muted small num">
          {l.qty > 1 && `${l.qty} × ${money(l.unitPrice)}`}
          {l.discountAmount > 0 && <span class="disc"> −{money(l.discountAmount)}</span>}
        </div>
      </div>
      <button
        class="icon-btn cl-remove"
        onClick={(e) => {
          e.stopPropagation();
          props.onRemove(i);
        }}
        aria-label="remove"
        data-testid="line-remove"
        tabIndex={-1}
      >
        ×
      </button>
    </div>
  );
});
