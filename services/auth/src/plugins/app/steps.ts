import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { secondFactorOutcome } from '../../lib/login-metrics.ts';
import { AuditRepository } from '../../repositories/audit.ts';
import type { LoginStep, StepResult } from '../external/metrics.ts';

export interface StepRecord {
  step: LoginStep | 'lockout';
  result: StepResult;
  userId?: string | null;
  username?: string | null;
  detail?: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditRepository;
    /** Counts a login/enrolment step in the metrics and writes it to the audit log. */
    recordStep(request: FastifyRequest, record: StepRecord): Promise<void>;
  }
}

const clip = (value: string | undefined, max: number) => (value ? value.slice(0, max) : null);

export default fp(
  async function steps(app: FastifyInstance) {
    const audit = new AuditRepository(app.db);
    app.decorate('audit', audit);
    app.decorate('recordStep', async (request: FastifyRequest, record: StepRecord) => {
      if (record.step !== 'lockout') app.metrics.loginSteps.inc({ step: record.step, result: record.result });
      const secondFactor = secondFactorOutcome(record);
      if (secondFactor) app.metrics.secondFactors.inc(secondFactor);
      try {
        await audit.record({
          userId: record.userId ?? null,
          username: clip(record.username ?? undefined, 64),
          step: record.step,
          result: record.result,
          ip: request.ip,
          userAgent: clip(request.headers['user-agent'], 256),
          requestId: request.id,
          detail: record.detail,
        });
      } catch (error) {
        // The audit trail must not turn a working login into a failed one; the log keeps the event.
        request.log.error({ err: error, audit: { ...record, ip: request.ip } }, 'audit event not recorded');
      }
    });
  },
  { name: 'steps', dependencies: ['postgres', 'metrics'] },
);
