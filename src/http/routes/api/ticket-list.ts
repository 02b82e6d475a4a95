import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

import type { TicketListQuery } from '../../../pipeline/read/ticket-list.js';
import { HttpError } from '../../errors.js';
import { errorResponses } from '../../schemas/common.js';
import { TicketListQuerySchema, TicketListResponseSchema } from '../../schemas/ticket-list.js';
import type { AppServices } from '../../services.js';

import { apiDoc, knownInstance } from './common.js';

/** Open tickets across instances, sorted by the next SLA breach or scheduled check (the console's "At risk"). */
export default async function ticketListRoutes(
  app: FastifyInstance,
  options: { services: AppServices },
): Promise<void> {
  const { services } = options;
  const { read, config } = services.deps;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/tickets',
    {
      schema: {
        ...apiDoc,
        summary: 'Open tickets with their SLA clocks (business time left), next check and near misses, sorted by risk',
        querystring: TicketListQuerySchema,
        response: { 200: TicketListResponseSchema, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req) => {
      const { instance, sort, tier, group, company, limit, cursor } = req.query;
      const instances =
        instance === undefined
          ? config.instances.map((i) => i.info.id)
          : [knownInstance(services, instance).loaded.info.id];
      if (!read.openTickets) throw new HttpError('unavailable', 'The ticket list is not available in this process');
      const query: TicketListQuery = { instances, sort, limit };
      if (tier !== undefined) query.tier = tier;
      if (group !== undefined) query.group = group;
      if (company !== undefined) query.company = company;
      if (cursor !== undefined) query.cursor = cursor;
      return read.openTickets(query);
    },
  );
}
