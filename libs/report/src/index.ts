export { buildReport, writeReport, type Report, type WriteReportOptions, type WrittenReport } from './report';
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard';
export { loadRun, isRunDir, runVersion, type AgentsFile, type OpTime, type ReportRecord, type RunData } from './load';
export { buildModel, bestRecord, compare, statusLine, topConfigurations, type ComparisonRow, type LayerTable, type ReportModel } from './model';
export { agentView, marlGreedy, type AgentView } from './agent-view';
export { buildCharts, allCharts, type ReportCharts } from './charts';
export { writeImages, svgToPng, type ImageFormat } from './images';
export { ReportError } from './errors';
export type { Chart } from './svg/svg';
