export { type AutoscalingPlan, type Explained, type PlanOptions, planAutoscaling } from './plan.js';
export { type PlanManifests, type PlanTarget, renderPlan } from './render.js';
