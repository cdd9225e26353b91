import { Module } from '@nestjs/common';
import { SearchModule } from '../search/search.module';
import { DevicesController } from './devices.controller';
import { DevicesRepository } from './devices.repository';
import { DevicesService } from './devices.service';

@Module({
  imports: [SearchModule],
  controllers: [DevicesController],
  providers: [DevicesService, DevicesRepository],
  exports: [DevicesRepository, DevicesService],
})
export class DevicesModule {}
