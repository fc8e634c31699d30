// The live map's Leaflet layer: draws a LiveMapModel and keeps it current
// cheaply — markers are moved and relabelled in place, new points are
// appended to a driver's line (a late point redraws that one line), stops
// are recoloured when their status changes, and all of it happens at most
// once per animation frame however many messages arrive. The tile layer
// comes from the hub's /map/settings; without a tile URL the map has a plain
// background and draws everything else the same (no network needed).
// Leaflet and its CSS are bundled by Vite (no CDN).

import L from "leaflet";
import "leaflet/dist/leaflet.css";

import type { DriverState, LiveMapModel } from "./live";
import type { MapSettings, ShipmentJson, StopJson } from "./types";

/** The texts the map shows (translated by the page). */
export interface MapLabels {
  /** The label next to a driver's marker. */
  driver: (d: DriverState, online: boolean) => string;
  /** The tooltip of a stop. */
  stop: (s: ShipmentJson, st: StopJson) => string;
}

/** Stable colour of a driver (marker and line), from their user name. */
export function driverColour(driver: string): string {
  let h = 0;
  for (let i = 0; i < driver.length; i++) h = (h * 31 + driver.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360}, 70%, 42%)`;
}

/** Colour of a stop by status. */
export function stopColour(status: string): string {
  switch (status) {
    case "arrived":
      return "#d97706";
    case "received":
      return "#16a34a";
    case "cancelled":
      return "#94a3b8";
    default:
      return "#2563eb";
  }
}

interface DriverMarker {
  marker: L.Marker;
  root: HTMLElement;
  label: HTMLElement;
  text: string;
  online: boolean | null;
}

interface StopMarker {
  marker: L.Marker;
  root: HTMLElement;
  fence: L.Circle;
  status: string;
  tip: string;
}

/** What the map draws now (read by the browser tests through `window.__storelinkLiveMap`). */
export interface MapSnapshot {
  tiles: boolean;
  drivers: Record<string, { lat: number; lon: number; label: string; online: boolean }>;
  tracks: Record<string, [number, number][]>;
  stops: Record<string, { status: string; lat: number; lon: number; radius_m: number }>;
}

export class LiveMapView {
  readonly map: L.Map;
  private readonly model: LiveMapModel;
  private labels: MapLabels;
  private readonly hasTiles: boolean;
  private readonly driverMarkers = new Map<string, DriverMarker>();
  private readonly lines = new Map<string, L.Polyline>();
  /** Per shipment: store → its stop marker. */
  private readonly stops = new Map<string, Map<string, StopMarker>>();
  private frame = 0;
  private fitted = false;
  /** Called after each draw (the page refreshes its side list from it). */
  onDrawn: (() => void) | null = null;

  constructor(el: HTMLElement, settings: MapSettings, model: LiveMapModel, labels: MapLabels) {
    this.model = model;
    this.labels = labels;
    this.map = L.map(el, {
      preferCanvas: true,
      center: settings.center,
      zoom: settings.zoom,
      zoomControl: true,
      attributionControl: true,
    });
    this.map.attributionControl.setPrefix("Leaflet");
    const url = settings.tile_url?.trim();
    this.hasTiles = !!url;
    if (url) {
      L.tileLayer(url, { attribution: settings.attribution ?? "", maxZoom: 19 }).addTo(this.map);
    } else {
      el.classList.add("logi-map-blank");
      if (settings.attribution) this.map.attributionControl.addAttribution(settings.attribution);
    }
    L.control.scale({ imperial: false }).addTo(this.map);
  }

  setLabels(labels: MapLabels): void {
    this.labels = labels;
    for (const id of this.model.drivers.keys()) this.redrawDriverLabel(id);
    for (const id of this.model.shipments.keys()) this.drawShipment(id);
  }

  /** Draw what changed, on the next animation frame (once however often it is called). */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draw what changed now. */
  draw(): void {
    const c = this.model.takeChanges();
    for (const id of c.removedDrivers) this.removeDriver(id);
    for (const id of c.removedShipments) this.removeShipment(id);
    for (const id of c.rewritten) this.redrawLine(id);
    for (const [id, points] of c.appended) this.appendLine(id, points.length);
    for (const id of c.drivers) this.drawDriver(id);
    for (const id of c.shipments) this.drawShipment(id);
    this.onDrawn?.();
  }

  /** Frame everything once (the first load); later loads leave the view alone. */
  fitOnce(): void {
    if (this.fitted) return;
    const pts = this.model.extent();
    if (pts.length === 0) return;
    this.fitted = true;
    if (pts.length === 1) this.map.setView(pts[0] as [number, number], 15);
    else this.map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: 16 });
  }

  /** Centre the map on a driver. */
  panTo(driver: string): void {
    const d = this.model.drivers.get(driver);
    if (d?.last) this.map.panTo([d.last.lat, d.last.lon]);
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.map.remove();
  }

  // -------------------------------------------------------------------------
  // Drivers

  private drawDriver(id: string): void {
    const d = this.model.drivers.get(id);
    if (!d?.last) return;
    const at: L.LatLngExpression = [d.last.lat, d.last.lon];
    let m = this.driverMarkers.get(id);
    if (!m) {
      const root = document.createElement("div");
      root.className = "logi-drv";
      root.dataset.testid = `map-driver-${id}`;
      root.dataset.driver = id;
      root.style.setProperty("--c", driverColour(id));
      const dot = document.createElement("span");
      dot.className = "logi-drv-dot";
      const label = document.createElement("span");
      label.className = "logi-drv-label";
      root.append(dot, label);
      const marker = L.marker(at, {
        icon: L.divIcon({ className: "logi-drv-icon", html: root, iconSize: [16, 16], iconAnchor: [8, 8] }),
        keyboard: false,
        zIndexOffset: 1000,
      }).addTo(this.map);
      marker.on("click", () => this.map.panTo(marker.getLatLng()));
      m = { marker, root, label, text: "", online: null };
      this.driverMarkers.set(id, m);
    } else {
      m.marker.setLatLng(at);
    }
    this.redrawDriverLabel(id);
  }

  private redrawDriverLabel(id: string): void {
    const d = this.model.drivers.get(id);
    const m = this.driverMarkers.get(id);
    if (!d || !m) return;
    const online = this.model.online(d, Date.now());
    const text = this.labels.driver(d, online);
    if (text !== m.text) {
      m.label.textContent = text;
      m.text = text;
    }
    if (online !== m.online) {
      m.root.classList.toggle("offline", !online);
      m.root.dataset.online = String(online);
      m.online = online;
    }
  }

  private removeDriver(id: string): void {
    this.driverMarkers.get(id)?.marker.remove();
    this.driverMarkers.delete(id);
    this.lines.get(id)?.remove();
    this.lines.delete(id);
  }

  // -------------------------------------------------------------------------
  // Tracks

  private redrawLine(id: string): void {
    const t = this.model.tracks.get(id);
    const latlngs = (t?.points ?? []).map((p) => [p.lat, p.lon] as [number, number]);
    const line = this.lines.get(id);
    if (line) {
      line.setLatLngs(latlngs);
      return;
    }
    this.lines.set(
      id,
      L.polyline(latlngs, { color: driverColour(id), weight: 4, opacity: 0.85, interactive: false }).addTo(this.map),
    );
  }

  /** `n` points were added at the end of the model's track since the last draw. */
  private appendLine(id: string, n: number): void {
    const t = this.model.tracks.get(id);
    const line = this.lines.get(id);
    if (!t) return;
    if (!line || n !== 1) {
      this.redrawLine(id);
      return;
    }
    const p = t.points[t.points.length - 1];
    if (p) line.addLatLng([p.lat, p.lon]);
  }

  // -------------------------------------------------------------------------
  // Stops

  private drawShipment(id: string): void {
    const s = this.model.shipments.get(id);
    if (!s) return;
    let markers = this.stops.get(id);
    if (!markers) {
      markers = new Map();
      this.stops.set(id, markers);
    }
    const keep = new Set<string>();
    for (const st of s.stops) {
      if (st.lat === null || st.lon === null) continue;
      keep.add(st.store);
      this.drawStop(s, st, markers);
    }
    for (const [store, m] of markers) {
      if (keep.has(store)) continue;
      m.marker.remove();
      m.fence.remove();
      markers.delete(store);
    }
  }

  private drawStop(s: ShipmentJson, st: StopJson, markers: Map<string, StopMarker>): void {
    const at: [number, number] = [st.lat as number, st.lon as number];
    const colour = stopColour(st.status);
    const tip = this.labels.stop(s, st);
    let m = markers.get(st.store);
    if (!m) {
      const root = document.createElement("div");
      root.className = "logi-stop";
      root.dataset.testid = `map-stop-${s.id}-${st.store}`;
      const no = document.createElement("span");
      no.className = "logi-stop-no";
      no.textContent = String(st.stop_no);
      const code = document.createElement("span");
      code.className = "logi-stop-code";
      code.textContent = st.store;
      root.append(no, code);
      const marker = L.marker(at, {
        icon: L.divIcon({ className: "logi-stop-icon", html: root, iconSize: [24, 24], iconAnchor: [12, 12] }),
        keyboard: false,
        zIndexOffset: 500,
      })
        .bindTooltip(tip, { direction: "top", offset: [0, -12] })
        .addTo(this.map);
      const fence = L.circle(at, { radius: st.radius_m, color: colour, weight: 1.5, fillOpacity: 0.08, interactive: false }).addTo(
        this.map,
      );
      m = { marker, root, fence, status: "", tip };
      markers.set(st.store, m);
    } else {
      m.marker.setLatLng(at);
      m.fence.setLatLng(at);
      if (m.fence.getRadius() !== st.radius_m) m.fence.setRadius(st.radius_m);
      if (tip !== m.tip) {
        m.marker.setTooltipContent(tip);
        m.tip = tip;
      }
    }
    if (m.status !== st.status) {
      m.root.dataset.status = st.status;
      m.root.style.setProperty("--c", colour);
      m.fence.setStyle({ color: colour });
      m.status = st.status;
    }
  }

  private removeShipment(id: string): void {
    const markers = this.stops.get(id);
    if (!markers) return;
    for (const m of markers.values()) {
      m.marker.remove();
      m.fence.remove();
    }
    this.stops.delete(id);
  }

  // -------------------------------------------------------------------------

  /** What is drawn now (the browser tests read it; nothing else does). */
  snapshot(): MapSnapshot {
    const drivers: MapSnapshot["drivers"] = {};
    for (const [id, m] of this.driverMarkers) {
      const ll = m.marker.getLatLng();
      drivers[id] = { lat: ll.lat, lon: ll.lng, label: m.text, online: m.online === true };
    }
    const tracks: MapSnapshot["tracks"] = {};
    for (const [id, line] of this.lines) {
      tracks[id] = (line.getLatLngs() as L.LatLng[]).map((ll) => [ll.lat, ll.lng]);
    }
    const stops: MapSnapshot["stops"] = {};
    for (const [ship, markers] of this.stops) {
      for (const [store, m] of markers) {
        const ll = m.marker.getLatLng();
        stops[`${ship}/${store}`] = { status: m.status, lat: ll.lat, lon: ll.lng, radius_m: m.fence.getRadius() };
      }
    }
    return { tiles: this.hasTiles, drivers, tracks, stops };
  }
}
