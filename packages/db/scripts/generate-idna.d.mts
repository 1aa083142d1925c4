export const MIGRATION_FILE: string;
export const BEGIN: string;
export const END: string;
export function postgresPattern(regex: RegExp): string;
export function generateIdnaData(): string;
export function generatedSection(text: string): string;
