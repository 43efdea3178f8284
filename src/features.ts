import type { FeatureModules } from './app.module';
import { DemoModule } from './demo/demo.module';

/**
 * The service's own domain modules, mounted beside the kit's: by src/main.ts, and by the CLIs
 * that need the app's routes (the API-key scopes, the OpenAPI document). Replace the demo with
 * your own modules here.
 */
export const FEATURES: FeatureModules = [DemoModule];
