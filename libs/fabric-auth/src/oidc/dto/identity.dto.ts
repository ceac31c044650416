import { ApiProperty } from '@nestjs/swagger';

export class IdentityDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Name of the configured provider the identity was linked through' }) provider!: string;
  @ApiProperty() issuer!: string;
  @ApiProperty({ description: "The person's `sub` at the issuer" }) subject!: string;
  @ApiProperty({ type: String, nullable: true, description: "The provider's email claim when the identity was linked" }) email!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ type: String, nullable: true }) last_login_at!: string | null;
}

export class IdentityListDto {
  @ApiProperty({ type: [IdentityDto] }) items!: IdentityDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ description: 'True when total is an estimate' }) total_is_estimate!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Cursor of the next page; null on the last' }) next_cursor!: string | null;
}
