// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type AppInfo = { version: string, enrolled: boolean, data_dir: string, };
