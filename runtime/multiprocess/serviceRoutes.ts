import { matchSubject } from "../../shared/events/subjects.ts";
import type { RemoteService } from "./roundExchanges.ts";

/** Which services a subject reaches, cached per subject (a run uses a bounded set of subjects). */
export class ServiceRoutes {
  private readonly listening = new Map<string, RemoteService[]>();
  private readonly owning = new Map<string, RemoteService[]>();

  constructor(private readonly services: readonly RemoteService[]) {}

  /** The services some actor of which — owned or shadow — listens to `subject`. */
  listeners(subject: string): RemoteService[] {
    let list = this.listening.get(subject);
    if (list === undefined) {
      list = this.services.filter((s) => s.patterns.some((p) => matchSubject(p, subject)));
      this.listening.set(subject, list);
    }
    return list;
  }

  /** The services some owned actor of which listens to `subject` (a service naming no owned patterns counts as owning all it listens to). */
  owners(subject: string): RemoteService[] {
    let list = this.owning.get(subject);
    if (list === undefined) {
      list = this.listeners(subject).filter((s) => s.ownedPatterns === undefined || s.ownedPatterns.some((p) => matchSubject(p, subject)));
      this.owning.set(subject, list);
    }
    return list;
  }
}
