import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, UseGuards, UsePipes, UseInterceptors } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../core/open-api.js';
import { ApiFabricAuth } from '../../http/api-docs.js';
import { AuditService } from '../../data/audit.service.js';
import { requireHoldsAll } from '../../access/permissions/access-rules.js';
import { FabricGuard } from '../../access/guard/fabric.guard.js';
import { PermissionRegistry } from '../../access/permissions/permission-registry.js';
import { RequirePermission } from '../../access/guard/require-permission.decorator.js';
import { isUniqueViolation } from '../../data/db-errors.js';
import { ListQueryDto } from '../../data/pagination/list-query.js';
import { FabricTransactions } from '../../data/transactions.js';
import type { HttpRequestLike } from '../../core/request-info.js';
import { fabricValidationPipe } from '../../http/validation.js';
import { CurrentPrincipal } from '../../access/principal/current-principal.decorator.js';
import type { Principal } from '../../core/principal.js';
import { CreateRoleDto, RoleDto, RoleListDto, UpdateRoleDto } from './dto/role.dto.js';
import type { RoleEntity } from '../../schema/entities/role.entity.js';
import { RolesService } from '../../access/accounts/roles.service.js';
import { StorageErrorsInterceptor } from '../../http/storage-errors.interceptor.js';
import { fabricError } from '../../core/fabric-error.js';

function toRoleDto(role: RoleEntity): RoleDto {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    from_config: role.fromConfig,
    created_at: role.createdAt.toISOString(),
    updated_at: role.updatedAt.toISOString(),
  };
}

@ApiTags('roles')
@ApiFabricAuth()
@Controller('roles')
@UseInterceptors(StorageErrorsInterceptor)
@UseGuards(FabricGuard)
@UsePipes(fabricValidationPipe())
export class RolesController {
  constructor(
    private readonly roles: RolesService,
    private readonly registry: PermissionRegistry,
    private readonly audit: AuditService,
    private readonly transactions: FabricTransactions,
  ) {}

  @Get()
  @RequirePermission('roles:read')
  @ApiOperation({ summary: 'List roles (roles:read)', description: 'Every role with its permissions.' })
  @ApiOkResponse({ type: RoleListDto })
  async list(@Query() query: ListQueryDto): Promise<RoleListDto> {
    return this.roles.list(query, (rows) => rows.map(toRoleDto));
  }

  @Get(':name')
  @RequirePermission('roles:read')
  @ApiOperation({ summary: 'Read a role (roles:read)', description: "The role's permissions." })
  @ApiOkResponse({ type: RoleDto })
  async get(@Param('name') name: string): Promise<RoleDto> {
    return toRoleDto(await this.find(name));
  }

  @Post()
  @RequirePermission('roles:manage')
  @ApiOperation({
    summary: 'Create a role (roles:manage); only registered permissions you hold',
    description: 'Permissions must be registered (built in or declared in `auth.permissions`) and held by you (grant ceiling).',
  })
  @ApiCreatedResponse({ type: RoleDto })
  async create(@Body() dto: CreateRoleDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<RoleDto> {
    this.checkPermissions(actor, dto.permissions);
    if (await this.roles.findByName(dto.name)) throw fabricError('already_exists', 'Role already exists');
    try {
      return toRoleDto(
        await this.transactions.run(async (tx) => {
          const role = await this.roles.create(dto, tx);
          await this.audit.recordIn(tx, {
            action: 'role.create',
            outcome: 'success',
            actor,
            target: { type: 'role', id: role.name },
            request,
            details: { permissions: role.permissions.join(',') },
          });
          return role;
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw fabricError('already_exists', 'Role already exists');
      throw error;
    }
  }

  @Patch(':name')
  @RequirePermission('roles:manage')
  @ApiOperation({
    summary: 'Update a role (roles:manage); takes effect on the next request of every holder',
    description: "Replaces the role's permissions, within the same grant ceiling as creation.",
  })
  @ApiOkResponse({ type: RoleDto })
  async update(@Param('name') name: string, @Body() dto: UpdateRoleDto, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<RoleDto> {
    const role = await this.find(name);
    if (dto.permissions) {
      this.checkPermissions(actor, dto.permissions);
      requireHoldsAll(actor, role.permissions, 'change this role');
    }
    const before = role.permissions.join(',');
    const updated = await this.transactions.run(async (tx) => {
      const changed = await this.roles.update(role, dto, tx);
      await this.audit.recordIn(tx, {
        action: 'role.modify',
        outcome: 'success',
        actor,
        target: { type: 'role', id: role.name },
        request,
        details: { permissions_before: before, permissions_after: changed.permissions.join(',') },
      });
      return changed;
    });
    return toRoleDto(updated);
  }

  @Delete(':name')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission('roles:manage')
  @ApiOperation({ summary: 'Delete a role and its assignments (roles:manage)', description: 'Holders lose its permissions on their next request.' })
  @ApiNoContentResponse()
  async remove(@Param('name') name: string, @CurrentPrincipal() actor: Principal, @Req() request: HttpRequestLike): Promise<void> {
    const role = await this.find(name);
    requireHoldsAll(actor, role.permissions, 'delete this role');
    await this.transactions.run(async (tx) => {
      await this.roles.remove(role, tx);
      await this.audit.recordIn(tx, { action: 'role.delete', outcome: 'success', actor, target: { type: 'role', id: role.name }, request });
    });
  }

  private async find(name: string): Promise<RoleEntity> {
    const role = name.length <= 64 ? await this.roles.findByName(name) : null;
    if (!role) throw fabricError('role_not_found', 'Role not found');
    return role;
  }

  private checkPermissions(actor: Principal, permissions: string[]): void {
    const unknown = this.registry.unknown(permissions);
    if (unknown.length > 0) throw fabricError('invalid_request', `Unknown permissions: ${unknown.join(', ')}`);
    requireHoldsAll(actor, permissions, 'grant these permissions');
  }
}
