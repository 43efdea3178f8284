import { Module } from '@nestjs/common';
import { ItemsModule } from './items/items.module';

/**
 * The demo domain: items, their stock, and the stock-level call to a downstream service. It
 * shows the kit in use; delete `src/demo` and `test/demo` (README, "Removing the demo") and the
 * kit stands on its own.
 */
@Module({ imports: [ItemsModule] })
export class DemoModule {}
