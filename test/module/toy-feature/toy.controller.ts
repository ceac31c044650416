import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { CurrentPrincipal, FabricGuard, type Principal, RequirePermission } from 'nestjs-fabric-auth';
import { ToySignOuts } from './toy-sign-outs.js';

@Controller('toy')
@UseGuards(FabricGuard)
export class ToyController {
  constructor(@Inject(ToySignOuts) private readonly signOuts: ToySignOuts) {}

  @Get('greeting')
  @RequirePermission('toy:read')
  greeting(@CurrentPrincipal() principal: Principal) {
    return { hello: principal.username, signOutsSeen: this.signOuts.count };
  }
}
