// Stores and warehouses: the list, creating one, issuing a one-time
// enrolment code for a new till (shown large, with a copy button), and the
// store's position with its arrival geofence radius (issue 5: the live map
// and the geofence that marks a delivery arrived).

import { useState } from "preact/hooks";

import { api } from "../api/client";
import type { EnrolmentCode } from "../api/types/EnrolmentCode";
import type { Store } from "../api/types/Store";
import { Badge, Card, DataTable, ErrorBanner, Field, FormFooter, forgetStoreNames, Modal, Notice, PageHeader, useAsync, useNum, useSession, useSubmit } from "../components/ui";
import { formatDateTime } from "../format";
import { logisticsApi } from "../logistics/api";
import { DEFAULT_GEOFENCE_M, validateLocation } from "../logistics/logic";
import { canEdit } from "../roles";

export function StoresPage() {
  const { me, t, lang } = useSession();
  const num = useNum();
  const stores = useAsync((signal) => api.get<Store[]>("/stores", undefined, signal), []);
  const [creating, setCreating] = useState(false);
  const [code, setCode] = useState<EnrolmentCode | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [placing, setPlacing] = useState<Store | null>(null);
  const admin = canEdit(me.role, "stores");
  const mayPlace = canEdit(me.role, "logistics");
  const issue = useSubmit(async (store: string) => {
    setCode(await api.post<EnrolmentCode>(`/stores/${encodeURIComponent(store)}/enrolment-codes`, {}));
  });
  return (
    <div data-testid="page-stores">
      <PageHeader
        title={t("nav.stores")}
        sub={t("stores.subtitle")}
        actions={
          admin && (
            <button type="button" class="btn btn-primary" data-testid="new-store" onClick={() => setCreating(true)}>
              {t("stores.new")}
            </button>
          )
        }
      />
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={stores.error ?? issue.error} />
      <Card>
        <DataTable
          testid="stores"
          rows={stores.data}
          loading={stores.loading}
          rowKey={(s) => s.code}
          columns={[
            { key: "code", label: t("stores.code"), render: (s) => <strong class="mono">{s.code}</strong> },
            { key: "name", label: t("common.name"), render: (s) => s.name },
            { key: "kind", label: t("stores.kind"), render: (s) => <Badge tone={s.kind === "store" ? "info" : "muted"}>{t(s.kind === "store" ? "stores.store" : "stores.warehouse")}</Badge> },
            { key: "region", label: t("stores.region"), render: (s) => s.region ?? "—" },
            { key: "cur", label: t("stores.currency"), render: (s) => s.currency },
            {
              key: "loc",
              label: t("stores.location"),
              render: (s) => (
                <span class="small mono" data-testid={`store-location-${s.code}`}>
                  {s.lat != null && s.lon != null ? `${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}` : "—"}
                </span>
              ),
            },
            { key: "tills", label: t("nav.tills"), align: "right", render: (s) => num(s.tills) },
            { key: "created", label: t("stores.created"), render: (s) => formatDateTime(s.created_at_ms, lang) },
            {
              key: "enrol",
              label: "",
              align: "right",
              render: (s) => (
                <span class="btn-group">
                  {mayPlace && s.kind === "store" && (
                    <button type="button" class="btn btn-sm" data-testid={`locate-${s.code}`} onClick={() => setPlacing(s)}>
                      {t("stores.set_location")}
                    </button>
                  )}
                  {admin && s.kind === "store" && (
                    <button type="button" class="btn btn-sm" data-testid={`enrol-${s.code}`} disabled={issue.busy} onClick={() => void issue.run(s.code)}>
                      {t("stores.issue_code")}
                    </button>
                  )}
                </span>
              ),
            },
          ]}
        />
      </Card>
      {creating && (
        <StoreForm
          onClose={() => setCreating(false)}
          onSaved={(s) => {
            setCreating(false);
            setNotice(t("stores.created_notice", { code: s.code }));
            stores.reload();
          }}
        />
      )}
      {code && <CodeModal code={code} onClose={() => setCode(null)} />}
      {placing && (
        <LocationModal
          store={placing}
          onClose={() => setPlacing(null)}
          onSaved={() => {
            setNotice(t("stores.location_saved", { store: placing.code }));
            setPlacing(null);
            stores.reload();
          }}
        />
      )}
    </div>
  );
}

function CodeModal({ code, onClose }: { code: EnrolmentCode; onClose: () => void }) {
  const { t, lang } = useSession();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code.code);
      setCopied(true);
    } catch {
      const range = document.createRange();
      const el = document.querySelector('[data-testid="enrolment-code"]');
      if (el) {
        range.selectNodeContents(el);
        getSelection()?.removeAllRanges();
        getSelection()?.addRange(range);
      }
    }
  };
  return (
    <Modal title={t("stores.code_title", { store: code.store })} onClose={onClose}>
      <p>{t("stores.code_help")}</p>
      <div class="enrol-code" data-testid="enrolment-code">
        {code.code}
      </div>
      <p class="muted small">{t("stores.code_expires", { at: formatDateTime(code.expires_at_ms, lang) })}</p>
      <pre class="cmd">pos-agent --data-dir DIR enrol --hub {location.origin} --code {code.code}</pre>
      <div class="form-actions">
        <button type="button" class="btn" onClick={() => void copy()} data-testid="copy-code">
          {copied ? t("common.copied") : t("common.copy")}
        </button>
        <button type="button" class="btn btn-primary" onClick={onClose}>
          {t("common.close")}
        </button>
      </div>
    </Modal>
  );
}

function StoreForm({ onClose, onSaved }: { onClose: () => void; onSaved: (s: Store) => void }) {
  const { t } = useSession();
  const [f, setF] = useState({ code: "", name: "", kind: "store", currency: "KRW", region: "", lat: "", lon: "" });
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = useSubmit(async () => {
    const body: Record<string, unknown> = {
      code: f.code.trim().toUpperCase(),
      name: f.name.trim(),
      kind: f.kind,
      currency: f.currency.trim().toUpperCase(),
    };
    if (f.region.trim()) body.region = f.region.trim();
    if (f.lat.trim()) body.lat = Number(f.lat);
    if (f.lon.trim()) body.lon = Number(f.lon);
    const made = await api.post<Store>("/stores", body);
    forgetStoreNames();
    onSaved(made);
  });
  return (
    <Modal title={t("stores.new")} onClose={onClose}>
      <form
        class="form form-grid"
        data-testid="store-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <Field label={t("stores.code")} hint={t("stores.code_hint")}>
          <input name="code" required value={f.code} onInput={set("code")} />
        </Field>
        <Field label={t("common.name")}>
          <input name="name" required value={f.name} onInput={set("name")} />
        </Field>
        <Field label={t("stores.kind")}>
          <select name="kind" value={f.kind} onChange={set("kind")}>
            <option value="store">{t("stores.store")}</option>
            <option value="warehouse">{t("stores.warehouse")}</option>
          </select>
        </Field>
        <Field label={t("stores.currency")}>
          <input name="currency" required maxLength={3} value={f.currency} onInput={set("currency")} />
        </Field>
        <Field label={t("stores.region")}>
          <input name="region" value={f.region} onInput={set("region")} />
        </Field>
        <div class="field-pair">
          <Field label={t("stores.lat")}>
            <input name="lat" inputMode="decimal" value={f.lat} onInput={set("lat")} />
          </Field>
          <Field label={t("stores.lon")}>
            <input name="lon" inputMode="decimal" value={f.lon} onInput={set("lon")} />
          </Field>
        </div>
        <FormFooter
          error={submit.error}
          busy={submit.busy}
          onCancel={onClose}
          testId="store-submit"
          saveLabel={t("stores.create")}
        />
      </form>
    </Modal>
  );
}

/** The store's position and arrival geofence radius (`GET/PATCH /stores/{id}/location`). */
function LocationModal({ store, onClose, onSaved }: { store: Store; onClose: () => void; onSaved: () => void }) {
  const { t } = useSession();
  const [f, setF] = useState<{ lat: string; lon: string; geofence: string } | null>(null);
  const current = useAsync((signal) => logisticsApi.location(store.code, signal), [store.code]);
  const form = f ?? {
    lat: current.data?.lat != null ? String(current.data.lat) : store.lat != null ? String(store.lat) : "",
    lon: current.data?.lon != null ? String(current.data.lon) : store.lon != null ? String(store.lon) : "",
    geofence: String(current.data?.geofence_m ?? DEFAULT_GEOFENCE_M),
  };
  const set = (k: keyof typeof form) => (e: Event) => setF({ ...form, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = useSubmit(async () => {
    const { body, error } = validateLocation(form.lat, form.lon, form.geofence);
    if (!body) throw new Error(error ? t(error.key, error.vars) : "");
    await logisticsApi.setLocation(store.code, body);
    forgetStoreNames();
    onSaved();
  });
  return (
    <Modal title={t("stores.location_title", { store: `${store.code} ${store.name}` })} onClose={onClose}>
      <form
        class="form form-grid"
        data-testid="location-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <p class="muted small span-2">{t("stores.location_help")}</p>
        <ErrorBanner error={current.error} />
        <Field label={t("stores.lat")}>
          <input name="lat" inputMode="decimal" value={form.lat} onInput={set("lat")} />
        </Field>
        <Field label={t("stores.lon")}>
          <input name="lon" inputMode="decimal" value={form.lon} onInput={set("lon")} />
        </Field>
        <Field label={t("stores.geofence")}>
          <input name="geofence_m" inputMode="numeric" value={form.geofence} onInput={set("geofence")} />
        </Field>
        <div />
        <FormFooter error={submit.error} busy={submit.busy || current.loading} onCancel={onClose} testId="location-submit" />
      </form>
    </Modal>
  );
}
