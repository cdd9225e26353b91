export type CibaStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'redeemed';
export type DeliveryMode = 'poll' | 'ping' | 'push';
export type HintKind = 'login_hint' | 'login_hint_token' | 'id_token_hint';

/** What the user's device is shown; it never holds a secret. */
export interface ChallengeContent {
  bindingMessage?: string;
  /** HID's `tds`: transaction data to be confirmed, from the login_hint_token. */
  transactionData?: string;
  /** HID's `channel` (CHC) and `authpol` (ATC), from the login_hint_token. */
  channel?: string;
  authenticatorType?: string;
  /** Fingerprint of the login_hint_token (LHT), never the token itself. */
  loginHintTokenDigest?: string;
}

/** A row of `ciba_requests` joined with what the flow needs of its user and device. */
export interface CibaRequestRow {
  id: string;
  tenant_id: string;
  client_id: string;
  user_id: string;
  device_id: string | null;
  scope: string;
  acr_values: string | null;
  binding_message: string | null;
  hint_kind: HintKind;
  challenge: ChallengeContent;
  delivery_mode: DeliveryMode;
  notification_endpoint: string | null;
  notification_token: string | null;
  status: CibaStatus;
  poll_interval: number;
  last_polled_at: Date | null;
  expires_at: Date;
  delivered_at: Date | null;
  answered_at: Date | null;
  answered_by: string | null;
  reason: string | null;
  created: Date;
  /** Joined: the user's userName and the device's serial number (DSN) and status. */
  user_name: string;
  device_serial: string | null;
  device_status: string | null;
  /** Computed by the database clock: the request's lifetime is over. */
  is_expired: boolean;
  /** Computed: seconds since the previous poll (null before the first). */
  since_last_poll: number | null;
}

export interface NewCibaRequest {
  id: string;
  clientId: string;
  userId: string;
  deviceId: string;
  scope: string;
  acrValues?: string;
  bindingMessage?: string;
  hintKind: HintKind;
  challenge: ChallengeContent;
  deliveryMode: DeliveryMode;
  notificationEndpoint?: string;
  notificationToken?: string;
  pollInterval: number;
  expiresIn: number;
}
