import { z } from 'zod';

import type { KnownInstance } from '../services.js';

// "Open in the PSA" links (docs/console.md "PSA links"): built from the instance's connection settings. Only the
// host part comes from the config; the ticket id is URL-encoded. No link when the settings don't tell the web host.

const Connection = z.object({
  connection: z
    .object({
      site: z.string().optional(),
      baseUrl: z.string().optional(),
      zoneUrl: z.string().optional(),
      tenantUrl: z.string().optional(),
      apiUrl: z.string().optional(),
    })
    .partial(),
});

const originOf = (url: string | undefined): URL | undefined => {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : undefined;
  } catch {
    return undefined;
  }
};

/** A function from ticket id to its page in the PSA's web UI (undefined: unknown for this instance). */
export function psaLinker(known: KnownInstance): ((ticketId: string) => string) | undefined {
  const parsed = Connection.safeParse(known.loaded.settings);
  if (!parsed.success) return undefined;
  const c = parsed.data.connection;
  switch (known.loaded.info.kind) {
    case 'connectwise': {
      const site =
        c.site && !c.site.includes('://') ? new URL(`https://${c.site.replace(/^api-/, '')}`) : originOf(c.site);
      const base = site ?? originOf(c.baseUrl);
      if (!base) return undefined;
      return (id) =>
        `${base.origin}/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=${encodeURIComponent(id)}`;
    }
    case 'autotask': {
      const zone = originOf(c.zoneUrl);
      const m = zone ? /^webservices(\d+)\.autotask\.net$/.exec(zone.hostname) : null;
      if (!m) return undefined;
      return (id) =>
        `https://ww${m[1]}.autotask.net/Mvc/ServiceDesk/TicketDetail.mvc?ticketId=${encodeURIComponent(id)}`;
    }
    case 'halo': {
      const tenant = originOf(c.tenantUrl) ?? originOf(c.apiUrl?.replace(/\/api\/?$/, ''));
      if (!tenant) return undefined;
      return (id) => `${tenant.origin}${tenant.pathname.replace(/\/$/, '')}/ticket?id=${encodeURIComponent(id)}`;
    }
    default:
      return undefined;
  }
}
