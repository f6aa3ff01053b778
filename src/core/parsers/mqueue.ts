// The text of a /dev/mqueue/NAME file: `QSIZE:129 NOTIFY:2 SIGNO:0 NOTIFY_PID:8260`. Total:
// missing or malformed fields are null.

export interface MqueueFile {
  /** Bytes queued. */
  qsize: number | null;
  /** The process registered with mq_notify; null when none (NOTIFY_PID:0). */
  notifyPid: number | null;
  /** How it is notified (SIGEV_SIGNAL 0, SIGEV_NONE 1, SIGEV_THREAD 2). */
  notify: number | null;
  signo: number | null;
}

export function parseMqueueFile(text: string): MqueueFile {
  const get = (k: string): number | null => {
    const m = new RegExp(`\\b${k}:\\s*(\\d+)`).exec(text);
    return m ? Number(m[1]) : null;
  };
  const notifyPid = get('NOTIFY_PID');
  return { qsize: get('QSIZE'), notifyPid: notifyPid === 0 ? null : notifyPid, notify: get('NOTIFY'), signo: get('SIGNO') };
}
