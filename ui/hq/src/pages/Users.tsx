// Users: HQ accounts, store managers, cashiers (with till PINs) and drivers;
// create, edit, change role or store, set a password or PIN, deactivate.
// A store manager sees and manages the cashiers of their own store.

import { useState } from "preact/hooks";

import { api } from "../api/client";
import type { Role } from "../api/types/Role";
import type { Store } from "../api/types/Store";
import type { User } from "../api/types/User";
import { Badge, Card, DataTable, ErrorBanner, Field, FormFooter, Modal, Notice, PageHeader, dynKey, useAsync, useSession, useSubmit } from "../components/ui";
import { creatableRoles } from "../roles";

const STORE_ROLES: Role[] = ["store_manager", "cashier"];

/** Client-side checks matching the hub's rules (the hub checks again). */
export function validateUser(input: { username: string; role: Role; store: string; password: string; pin: string }, isNew: boolean): string | null {
  if (isNew && !/^[A-Za-z0-9._-]{2,64}$/.test(input.username)) return "users.err.username";
  if (STORE_ROLES.includes(input.role) && !input.store) return "users.err.store";
  if (input.password && input.password.length < 10) return "users.err.password";
  if (input.pin && !/^\d{4,8}$/.test(input.pin)) return "users.err.pin";
  if (isNew && input.role === "cashier" && !input.pin) return "users.err.pin_required";
  if (isNew && input.role !== "cashier" && !input.password) return "users.err.password_required";
  return null;
}

export function UsersPage() {
  const { me, t } = useSession();
  const ownStore = me.role === "store_manager" ? me.store : null;
  const [storeFilter, setStoreFilter] = useState(ownStore ?? "");
  const users = useAsync((signal) => api.get<User[]>("/users", { store: storeFilter }, signal), [storeFilter]);
  const stores = useAsync((signal) => api.get<Store[]>("/stores", undefined, signal), []);
  const [editing, setEditing] = useState<User | "new" | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const list = users.data ?? [];
  return (
    <div data-testid="page-users">
      <PageHeader
        title={t("nav.users")}
        sub={ownStore ? t("users.subtitle_store", { store: ownStore }) : t("users.subtitle")}
        actions={
          creatableRoles(me.role).length > 0 && (
            <button type="button" class="btn btn-primary" data-testid="new-user" onClick={() => setEditing("new")}>
              {t("users.new")}
            </button>
          )
        }
      />
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={users.error} />
      <Card
        actions={
          !ownStore && (
            <select value={storeFilter} onChange={(e) => setStoreFilter(e.currentTarget.value)} aria-label={t("common.store")}>
              <option value="">{t("common.all_stores")}</option>
              {(stores.data ?? []).map((s) => (
                <option key={s.code} value={s.code}>
                  {s.code} · {s.name}
                </option>
              ))}
            </select>
          )
        }
      >
        <DataTable
          testid="users"
          rows={list}
          loading={users.loading}
          rowKey={(u) => String(u.id)}
          onRow={(u) => setEditing(u)}
          columns={[
            { key: "username", label: t("users.username"), render: (u) => <strong>{u.username}</strong> },
            { key: "name", label: t("users.display_name"), render: (u) => u.display_name ?? "—" },
            { key: "role", label: t("users.role"), render: (u) => <Badge tone="info">{t(dynKey(`role.${u.role}`))}</Badge> },
            { key: "store", label: t("common.store"), render: (u) => u.store ?? "—" },
            { key: "pin", label: t("users.pin"), render: (u) => (u.has_pin ? "••••" : "—") },
            { key: "active", label: t("users.status"), render: (u) => (u.active ? <Badge tone="good">{t("users.active")}</Badge> : <Badge tone="muted">{t("users.inactive")}</Badge>) },
          ]}
        />
      </Card>
      {editing && (
        <UserForm
          user={editing === "new" ? null : editing}
          stores={(stores.data ?? []).filter((s) => s.kind === "store")}
          onClose={() => setEditing(null)}
          onSaved={(name) => {
            setEditing(null);
            setNotice(t("users.saved", { name }));
            users.reload();
          }}
        />
      )}
    </div>
  );
}

function UserForm({ user, stores, onClose, onSaved }: { user: User | null; stores: Store[]; onClose: () => void; onSaved: (name: string) => void }) {
  const { me, t } = useSession();
  const roles = creatableRoles(me.role);
  const [f, setF] = useState({
    username: user?.username ?? "",
    display_name: user?.display_name ?? "",
    role: (user?.role ?? roles[roles.length - 1] ?? "cashier") as Role,
    store: user?.store ?? (me.role === "store_manager" ? (me.store ?? "") : ""),
    password: "",
    pin: "",
    active: user?.active ?? true,
  });
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = useSubmit(async () => {
    const problem = validateUser(f, !user);
    if (problem) throw new Error(t(dynKey(problem)));
    const store = STORE_ROLES.includes(f.role) ? f.store : null;
    if (user) {
      const body: Record<string, unknown> = { display_name: f.display_name, active: f.active };
      if (f.role !== user.role) body.role = f.role;
      if (store !== user.store) body.store = store;
      if (f.password) body.password = f.password;
      if (f.pin) body.pin = f.pin;
      await api.patch(`/users/${encodeURIComponent(String(user.id))}`, body);
    } else {
      await api.post("/users", {
        username: f.username.trim(),
        display_name: f.display_name.trim() || f.username.trim(),
        role: f.role,
        store,
        password: f.password || undefined,
        pin: f.pin || undefined,
      });
    }
    onSaved(user?.username ?? f.username.trim());
  });
  const roleChoices = user && !roles.includes(user.role) ? [user.role, ...roles] : roles;
  return (
    <Modal title={user ? t("users.edit", { name: user.username }) : t("users.new")} onClose={onClose} wide>
      <form
        class="form form-grid"
        data-testid="user-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <Field label={t("users.username")}>
          <input name="username" required disabled={!!user} autocomplete="off" value={f.username} onInput={set("username")} />
        </Field>
        <Field label={t("users.display_name")}>
          <input name="display_name" value={f.display_name} onInput={set("display_name")} />
        </Field>
        <Field label={t("users.role")}>
          <select name="role" value={f.role} onChange={set("role")} disabled={roles.length <= 1}>
            {roleChoices.map((r) => (
              <option key={r} value={r}>
                {t(dynKey(`role.${r}`))}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("common.store")}>
          <select name="store" value={f.store} onChange={set("store")} disabled={!STORE_ROLES.includes(f.role) || me.role === "store_manager"}>
            <option value="">—</option>
            {stores.map((s) => (
              <option key={s.code} value={s.code}>
                {s.code} · {s.name}
              </option>
            ))}
            {f.store && !stores.some((s) => s.code === f.store) && <option value={f.store}>{f.store}</option>}
          </select>
        </Field>
        <Field label={user ? t("users.new_password") : t("users.password")} hint={t("users.password_hint")}>
          <input name="password" type="password" autocomplete="new-password" value={f.password} onInput={set("password")} />
        </Field>
        <Field label={user ? t("users.new_pin") : t("users.pin")} hint={t("users.pin_hint")}>
          <input name="pin" type="password" inputMode="numeric" autocomplete="off" value={f.pin} onInput={set("pin")} />
        </Field>
        {user && (
          <label class="check">
            <input type="checkbox" checked={f.active} onChange={(e) => setF({ ...f, active: e.currentTarget.checked })} /> {t("users.active")}
          </label>
        )}
        <FormFooter error={submit.error} busy={submit.busy} onCancel={onClose} testId="user-submit" />
      </form>
    </Modal>
  );
}
