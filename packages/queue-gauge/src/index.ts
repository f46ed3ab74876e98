export {
  type QueueGaugeOptions,
  type QueueGaugeVariables,
  queueGauge,
  queueTicket,
} from './queue-gauge.js';
export { DEFAULT_WAIT_BUCKETS, type RejectReason } from './queue-metrics.js';
export {
  QueueFullError,
  type QueueRefusal,
  type QueueTicket,
  RequestQueue,
  type RequestQueueOptions,
} from './request-queue.js';
export { type ShedWhenFullOptions, shedWhenFull } from './shed-when-full.js';
