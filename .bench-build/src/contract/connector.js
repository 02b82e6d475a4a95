export {};
//# sourceMappingURL=connector.js.map