import { parsedDate } from '../../core/field-rules.js';
import { Controller, Get, Param, Query, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import { fabricError } from '../../core/fabric-error.js';
import { ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import type { Principal } from '../../core/principal.js';
import { ListPager } from '../../data/pagination/list-pager.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { AuditEventEntity } from '../../schema/entities/audit-event.entity.js';
import { OrgAuditListDto, OrgAuditQueryDto } from './dto/org-audit.dto.js';
import { OrganizationStandings } from './organization-standings.js';

@ApiTags('organizations')
@ApiFabricAuth()
@Controller('orgs')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class OrganizationAuditController {
  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    private readonly standings: OrganizationStandings,
    private readonly pager: ListPager,
  ) {}

  @Get(':org/audit')
  @ApiOperation({
    summary: "The organization's own audit events (org:audit:read), newest first",
    description: 'Every change made in it (by its members or a platform admin), cursor-paged on its own index; filterable by action, outcome and time.',
  })
  @ApiOkResponse({ type: OrgAuditListDto })
  async list(@Param('org') org: string, @Query() query: OrgAuditQueryDto, @CurrentPrincipal() actor: Principal): Promise<OrgAuditListDto> {
    const organizationId = (await this.standings.standing(actor, org, 'org:audit:read')).organization.id;
    const since = parsedDate(query.since, 'since');
    const until = parsedDate(query.until, 'until');
    if (since && until && since >= until) throw fabricError('invalid_request', 'since must be before until');
    // (organization_id, occurred_at, id): the organization's events only, walked in time order.
    const base = this.events.createQueryBuilder('e').where('e.organizationId = :organizationId', { organizationId });
    if (query.action) base.andWhere('e.action = :action', { action: query.action });
    if (query.outcome) base.andWhere('e.outcome = :outcome', { outcome: query.outcome });
    if (since) base.andWhere('e.occurredAt >= :since', { since });
    if (until) base.andWhere('e.occurredAt < :until', { until });
    const sortName = query.sort ?? '-occurred_at';
    // The organization is among the filters a cursor is bound to: one of A's is refused on B's view.
    const filters = { organization: organizationId, action: query.action, outcome: query.outcome, since: since?.toISOString(), until: until?.toISOString() };
    return this.pager.page(base, { list: 'org_audit', sortName, sort: { property: 'occurredAt', descending: sortName === '-occurred_at' }, filters, query }, (rows) =>
      rows.map((e) => ({
        id: e.id,
        occurred_at: e.occurredAt.toISOString(),
        action: e.action,
        outcome: e.outcome,
        actor_kind: e.actorKind,
        actor_id: e.actorId,
        actor_name: e.actorName,
        target_type: e.targetType,
        target_id: e.targetId,
        details: e.details,
      })),
    );
  }
}
