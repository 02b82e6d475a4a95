export {};
//# sourceMappingURL=processor-deps.js.map