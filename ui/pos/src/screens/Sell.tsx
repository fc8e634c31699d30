// The Sell screen. The scan field keeps the keyboard (a barcode scanner
// types the code and presses Enter): Enter → `scan` → the line is added at
// once from the ProductHit (optimistic) → `quote_sale` reconciles prices and
// discounts. Left: search (F2) or browse categories (F3) → product tiles →
// colour × size grid. Right: the cart with qty, line (F6) and cart (F5)
// discounts, member (F4) and Pay (F8). The receipt and "Sale saved" appear
// only after `sell` resolved. Timing marks for the scan benchmark:
// `scan-submit` on Enter, `scan-rendered` in the frame that paints the line.

import type { JSX } from "preact";
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { ProductHit } from "../api/types/ProductHit";
import type { SaleReceipt } from "../api/types/SaleReceipt";
import type { UiError } from "../api/types/UiError";
import { Btn, Dialog, ErrorBox, dialogOpen, useApp } from "../components/ui";
import { type Cart, cartReducer, cartTotals, emptyCart, toSaleRequest } from "../logic/cart";
import { parseScan } from "../logic/errors";
import { cartHoldOf, limitedFor, limitedProblems } from "../logic/limited";
import type { LimitHoldView } from "../limited/types";
import { formatTime } from "../format";
import { HoldDialog, HoldsDialog } from "./Holds";
import { KEY_HINT, keyAction, scanFieldKey } from "../logic/keys";
import { Catalog, type CatalogHandle } from "./Catalog";
import { CartView } from "./CartView";
import { DiscountDialog } from "./DiscountDialog";
import { MemberDialog } from "./MemberDialog";
import { ApprovalDialog, PayDialog } from "./PayDialog";
import { SaleReceiptView } from "./ReceiptView";

type Modal = null | "pay" | "member" | "cart-discount" | "line-discount" | "approval" | "clear" | "hold" | "holds";

let sellRenderedOnce = false;

export function Sell(): JSX.Element {
  const { t, staff, setCurrency, toastError, toastInfo, money, lang } = useApp();
  const [cart, dispatch] = useReducer(cartReducer, emptyCart);
  const [modal, setModal] = useState<Modal>(null);
  const [scanError, setScanError] = useState<UiError | null>(null);
  const [quoteError, setQuoteError] = useState<UiError | null>(null);
  const [approvalError, setApprovalError] = useState<UiError | null>(null);
  const [receipt, setReceipt] = useState<SaleReceipt | null>(null);
  const scanRef = useRef<HTMLInputElement>(null);
  const catalogRef = useRef<CatalogHandle>(null);
  const scanPending = useRef(false);
  const cartRef = useRef<Cart>(cart);
  cartRef.current = cart;

  const focusScan = useCallback(() => {
    requestAnimationFrame(() => {
      if (!dialogOpen()) scanRef.current?.focus();
    });
  }, []);

  // First render of the Sell screen: the benchmark's "ready" time.
  useEffect(() => {
    if (!sellRenderedOnce) {
      sellRenderedOnce = true;
      const timings = window.__posTimings ?? { appStart: 0 };
      timings.sellReady = performance.now();
      window.__posTimings = timings;
    }
    focusScan();
  }, [focusScan]);

  // The scanned line is in the DOM: mark in the frame that paints it.
  useLayoutEffect(() => {
    if (!scanPending.current) return;
    scanPending.current = false;
    performance.mark("scan-committed");
    requestAnimationFrame(() => performance.mark("scan-rendered"));
  }, [cart.addSeq]);

  // Reconcile every change with the core's pricing (latest cart wins).
  useEffect(() => {
    if (cart.lines.length === 0) {
      setQuoteError(null);
      return;
    }
    const rev = cart.rev;
    api.quoteSale(toSaleRequest(cart, [], staff?.username ?? null)).then(
      (q) => {
        if (cartRef.current.rev !== rev) return;
        setQuoteError(null);
        setCurrency(q.currency);
        dispatch({ type: "quoted", quote: q, rev });
      },
      (e: UiError) => {
        if (cartRef.current.rev === rev) setQuoteError(e);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cart.rev]);

  const addHit = useCallback(
    (hit: ProductHit, code?: string, qty = 1) => {
      dispatch({ type: "add", hit, code: code ?? hit.sku, qty });
      setScanError(null);
      focusScan();
    },
    [focusScan],
  );

  const submitScan = async (raw: string) => {
    const parsed = parseScan(raw);
    if (!parsed) return;
    performance.mark("scan-submit");
    if (scanRef.current) scanRef.current.value = "";
    try {
      const hit = await api.scan(parsed.code);
      // The benchmark splits scan → painted into the command's round trip and the render.
      performance.mark("scan-answered");
      scanPending.current = true;
      dispatch({ type: "add", hit, code: parsed.code, qty: parsed.qty });
      setScanError(null);
    } catch (e) {
      setScanError({ ...(e as UiError) });
    }
  };

  const onScanKey = (e: KeyboardEvent) => {
    const input = e.currentTarget as HTMLInputElement;
    if (e.key === "Enter") {
      e.preventDefault();
      void submitScan(input.value);
      return;
    }
    if (e.key === "Escape") {
      input.value = "";
      setScanError(null);
      return;
    }
    const k = scanFieldKey(e.key, input.value === "");
    if (!k) return;
    const sel = cartRef.current.selected;
    e.preventDefault();
    if (k === "up") dispatch({ type: "select", index: sel - 1 });
    else if (k === "down") dispatch({ type: "select", index: sel + 1 });
    else if (sel >= 0) {
      if (k === "inc") dispatch({ type: "inc", index: sel, by: 1 });
      else if (k === "dec") dispatch({ type: "inc", index: sel, by: -1 });
      else dispatch({ type: "remove", index: sel });
    }
  };

  const totals = cartTotals(cart);
  const problems = limitedProblems(cart.lines, cart.quote, cart.hold);

  const startPay = useCallback(() => {
    const c = cartRef.current;
    if (c.lines.length === 0 || receipt) return;
    if (limitedProblems(c.lines, c.quote, c.hold).length) return;
    const tot = cartTotals(c);
    if (tot.needsApproval && !c.approverPin) {
      setApprovalError(null);
      setModal("approval");
    } else setModal("pay");
  }, [receipt]);

  // Sell-screen keys (F2…F8, Esc, Ctrl+Del) and "any key goes to the scan field".
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (receipt) return; // the receipt view has its own keys
      const a = keyAction(e, "sell", dialogOpen());
      if (a) {
        switch (a) {
          case "sell.search":
            e.preventDefault();
            catalogRef.current?.focusSearch();
            return;
          case "sell.browse":
            e.preventDefault();
            catalogRef.current?.browse();
            return;
          case "sell.member":
            e.preventDefault();
            setModal("member");
            return;
          case "sell.discount":
            e.preventDefault();
            if (cartRef.current.lines.length) setModal("cart-discount");
            return;
          case "sell.lineDiscount":
            e.preventDefault();
            if (cartRef.current.selected >= 0) setModal("line-discount");
            return;
          case "sell.pay":
            e.preventDefault();
            startPay();
            return;
          case "sell.clear":
            e.preventDefault();
            if (cartRef.current.lines.length) setModal("clear");
            return;
          case "cancel":
            catalogRef.current?.reset();
            focusScan();
            return;
          default:
            return;
        }
      }
      if (dialogOpen()) return;
      const target = e.target as HTMLElement | null;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
      if (!typing && e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey) scanRef.current?.focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [receipt, startPay, focusScan]);

  const closeModal = () => {
    setModal(null);
    focusScan();
  };

  const onSold = (r: SaleReceipt) => {
    setModal(null);
    setReceipt(r);
  };

  const newSale = () => {
    setReceipt(null);
    dispatch({ type: "clear" });
    setQuoteError(null);
    focusScan();
  };

  const selectedLine = cart.selected >= 0 ? cart.lines[cart.selected] : undefined;
  const selectedLimited = selectedLine ? limitedFor(cart.quote, selectedLine.sku) : null;
  const canHold = !!selectedLimited && selectedLimited.active && selectedLimited.on_sale_now && selectedLimited.hold_minutes > 0;

  const sellHold = async (h: LimitHoldView) => {
    const hold = cartHoldOf(h, Date.now());
    if (!hold) return;
    try {
      const hit = await api.scan(h.sku);
      dispatch({ type: "sellHold", hold, hit });
      closeModal();
    } catch (e) {
      toastError(e as UiError);
    }
  };

  return (
    <div class="sell">
      <section class="sell-left">
        <div class="scan-wrap">
          <input
            ref={scanRef}
            class="input scan-input"
            placeholder={t("sell.scan_ph")}
            onKeyDown={onScanKey}
            autoComplete="off"
            spellcheck={false}
            aria-label={t("sell.scan_ph")}
            data-testid="scan-input"
            disabled={!!receipt}
          />
          <ErrorBox error={scanError} testid="scan-error" />
        </div>
        <Catalog ref={catalogRef} onPick={addHit} onDone={focusScan} />
      </section>

      <section class="sell-right">
        <CartView
          cart={cart}
          totals={totals}
          quoteError={quoteError}
          onSelect={(i) => {
            dispatch({ type: "select", index: i });
            focusScan();
          }}
          onInc={(i, by) => {
            dispatch({ type: "inc", index: i, by });
            focusScan();
          }}
          onRemove={(i) => {
            dispatch({ type: "remove", index: i });
            focusScan();
          }}
          onDetachMember={() => dispatch({ type: "member", member: null })}
        />
        <div class="cart-actions">
          <Btn onClick={() => setModal("member")} hint={KEY_HINT["sell.member"]} testid="member-button">
            {t("sell.member")}
          </Btn>
          <Btn
            onClick={() => setModal("cart-discount")}
            hint={KEY_HINT["sell.discount"]}
            disabled={!cart.lines.length}
            testid="cart-discount-button"
          >
            {t("sell.cart_discount")}
          </Btn>
          <Btn
            onClick={() => setModal("line-discount")}
            hint={KEY_HINT["sell.lineDiscount"]}
            disabled={!selectedLine}
            testid="line-discount-button"
          >
            {t("sell.line_discount")}
          </Btn>
          <Btn onClick={() => setModal("hold")} disabled={!canHold} testid="hold-button">
            {t("limited.hold")}
          </Btn>
          <Btn onClick={() => setModal("holds")} testid="holds-button">
            {t("limited.holds")}
          </Btn>
          <Btn
            onClick={() => setModal("clear")}
            kind="ghost"
            hint={KEY_HINT["sell.clear"]}
            disabled={!cart.lines.length}
            testid="clear-sale"
          >
            {t("sell.clear")}
          </Btn>
        </div>
        {problems.length > 0 && (
          <div class="banner banner-warn" role="alert" data-testid="limited-blocked" data-skus={problems.map((p) => p.sku).join(",")}>
            {t("limited.cannot_pay")}
          </div>
        )}
        <Btn
          kind="big"
          class="pay-btn"
          onClick={startPay}
          disabled={!cart.lines.length || !!quoteError || problems.length > 0}
          hint={KEY_HINT["sell.pay"]}
          testid="pay-button"
        >
          <span>{t("sell.pay")}</span>
          <span class="pay-amount" data-testid="pay-amount">{money(totals.total)}</span>
        </Btn>
      </section>

      {modal === "member" && (
        <MemberDialog
          current={cart.member}
          onAttach={(m) => {
            dispatch({ type: "member", member: m });
            closeModal();
          }}
          onDetach={() => {
            dispatch({ type: "member", member: null });
            closeModal();
          }}
          onClose={closeModal}
        />
      )}
      {modal === "cart-discount" && (
        <DiscountDialog
          title={t("discount.title_cart")}
          current={cart.cartDiscount}
          limitPct={totals.limitPct}
          onApply={(d) => {
            dispatch({ type: "cartDiscount", discount: d });
            closeModal();
          }}
          onClose={closeModal}
        />
      )}
      {modal === "line-discount" && selectedLine && (
        <DiscountDialog
          title={t("discount.title_line", { name: selectedLine.name })}
          current={selectedLine.discount}
          limitPct={totals.limitPct}
          onApply={(d) => {
            dispatch({ type: "lineDiscount", index: cart.selected, discount: d });
            closeModal();
          }}
          onClose={closeModal}
        />
      )}
      {modal === "approval" && (
        <ApprovalDialog
          discount={totals.discount}
          limitPct={totals.limitPct ?? 0}
          error={approvalError}
          onApprove={(pin) => {
            dispatch({ type: "approve", pin });
            setModal("pay");
          }}
          onClose={closeModal}
        />
      )}
      {modal === "pay" && (
        <PayDialog
          cart={cart}
          total={totals.total}
          onSold={onSold}
          onCoupon={(code) => dispatch({ type: "coupon", code })}
          onApprovalNeeded={(e) => {
            dispatch({ type: "approve", pin: null });
            setApprovalError(e);
            setModal("approval");
          }}
          onClose={closeModal}
        />
      )}
      {modal === "hold" && selectedLine && selectedLimited && (
        <HoldDialog
          status={selectedLimited}
          sku={selectedLine.sku}
          qty={selectedLine.qty}
          onHeld={(h) => {
            // The held units leave this sale (the customer comes back for them).
            const i = cartRef.current.lines.findIndex((l) => l.sku === h.sku);
            if (i >= 0) dispatch({ type: "inc", index: i, by: -h.qty });
            toastInfo(t("limited.hold_done", { qty: h.qty, label: h.label, time: formatTime(h.expires_at_ms, lang) }));
            closeModal();
          }}
          onClose={closeModal}
        />
      )}
      {modal === "holds" && <HoldsDialog onSellHold={(h) => void sellHold(h)} onClose={closeModal} />}
      {modal === "clear" && (
        <Dialog
          title={t("sell.clear")}
          onClose={closeModal}
          testid="clear-confirm"
          footer={
            <>
              <Btn onClick={closeModal} hint="Esc">{t("common.no")}</Btn>
              <Btn
                kind="danger"
                testid="clear-confirm-yes"
                onClick={() => {
                  dispatch({ type: "clear" });
                  closeModal();
                }}
              >
                {t("sell.clear")}
              </Btn>
            </>
          }
        >
          <p>{t("sell.clear_confirm")}</p>
        </Dialog>
      )}
      {receipt && (
        <SaleReceiptView
          receipt={receipt}
          member={cart.member}
          onNewSale={newSale}
          onError={toastError}
        />
      )}
    </div>
  );
}
