import { z } from 'zod';

export const tokenPairResponse = z
  .object({ access_token: z.string(), refresh_token: z.string(), token_type: z.literal('bearer') })
  .meta({ id: 'TokenPair' });

export const registrationStatusResponse = z
  .object({
    /** Whether `POST /api/auth/register` would be accepted now. */
    open: z.boolean(),
    /** No account exists yet: the next registration becomes the superuser. */
    first_user: z.boolean(),
  })
  .meta({ id: 'RegistrationStatus' });

export const logoutResponse = z.object({ message: z.string() });

/** `POST /api/v2/ws-tickets`: opens one WebSocket within `expires_in` seconds. */
export const socketTicketResponse = z.object({ ticket: z.string(), expires_in: z.number().int() }).meta({ id: 'SocketTicket' });

export type TokenPairJson = z.infer<typeof tokenPairResponse>;
