export {
  compileGoRegexp,
  compileLabelMatcher,
  expandGoTemplate,
  type Re2Match,
  type Re2Regexp,
} from './re2.js';
