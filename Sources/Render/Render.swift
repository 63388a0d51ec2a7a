// The Render module: a CPU differentiable renderer for the paper's image formation (§3.1).
//
//  - `OrthoCamera`        u = s·Π(v) + t, pixel coordinates (x right, y down).
//  - `Rasterizer`                z-buffer, per-pixel triangle id and barycentrics, 2 threads.
//  - `SphericalHarmonics`        DECA's 9-coefficient SH basis and lighting (RGB, 9×3).
//  - `Renderer`                  forward shading U = A ⊙ Σₖ lₖ Hₖ(N) with optional displacement
//                                details, and the backward pass at fixed visibility.
//  - `PhotometricLoss`           masked L1/L2 image loss and its gradient.
//  - `UVUnwrapper`               photo → UV texture with a visibility mask, texture → image.
//  - `Preview`                   grey / textured / landmark previews and contact sheets.
