"""numpy/OpenCV ray-cast renderer: z-buffered capsules and ellipsoids over a room.

Each primitive is intersected analytically with the camera rays of the pixels inside
its projected bounding box (vectorised), shaded (Lambert + ambient + a soft specular,
light fixed to the camera) and z-tested against a depth buffer. The room (floor, back
wall, optional step box) is static for a clip and rendered once per camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hipform.synth.body import Capsule, Color, Ellipsoid, Primitive
from hipform.synth.camera import Camera


@dataclass(frozen=True)
class Scene:
    """Static surroundings.

    Attributes:
        floor: BGR colour of the floor (plane y = 0).
        wall: BGR colour of the back wall (a vertical plane facing the camera,
            ``wall_distance`` metres beyond ``focus``).
        focus: world point (metres) the wall distance is measured from (the subject).
        box: optional step box ``((x0, y0, z0), (x1, y1, z1))`` world metres, axis-aligned.
        box_color: BGR colour of the box.
        mat: optional exercise mat ``((x0, z0), (x1, z1))`` drawn on the floor.
        light, fill_light: directions toward the key and fill lights in the camera frame
            (x right, y down, z forward; normalised here), so the figure is lit the same
            in every view.
        ambient, diffuse, fill: shading weights (ambient + diffuse * key + fill * fill
            light from the opposite side).
    """

    floor: Color = (150, 165, 175)
    wall: Color = (205, 210, 212)
    wall_distance: float = 2.5
    focus: tuple[float, float, float] = (0.0, 0.9, 0.0)
    box: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None
    box_color: Color = (70, 110, 150)
    mat: tuple[tuple[float, float], tuple[float, float]] | None = None
    mat_color: Color = (120, 90, 60)
    light: tuple[float, float, float] = (-0.35, -0.55, -0.76)
    fill_light: tuple[float, float, float] = (0.6, 0.1, -0.79)
    ambient: float = 0.30
    diffuse: float = 0.62
    fill: float = 0.16


def _lights(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    key = np.asarray(scene.light, np.float32)
    fill = np.asarray(scene.fill_light, np.float32)
    return key / np.linalg.norm(key), fill / np.linalg.norm(fill)


def _shade(normals: np.ndarray, rays: np.ndarray, color: Color,
           scene: Scene | None = None) -> np.ndarray:
    """(N, 3) camera-frame unit normals + (N, 3) rays -> (N, 3) float32 BGR."""
    sc = scene or Scene()
    key, fill_dir = _lights(sc)
    lam = np.clip(normals @ key, 0.0, 1.0)
    fill = np.clip(normals @ fill_dir, 0.0, 1.0)
    v = -rays / np.linalg.norm(rays, axis=-1, keepdims=True)
    h = key + v
    h /= np.linalg.norm(h, axis=-1, keepdims=True)
    spec = np.clip(np.sum(normals * h, -1), 0.0, 1.0) ** 24
    k = sc.ambient + sc.diffuse * lam + sc.fill * fill
    c = np.asarray(color, np.float32)
    return k[:, None] * c[None, :] + (40.0 * spec)[:, None]


class Renderer:
    """Renders frames of one clip for a fixed camera and scene.

    ``render(prims, shadow_points)`` returns a uint8 (H, W, 3) BGR image.
    """

    def __init__(self, camera: Camera, scene: Scene | None = None, *, blur: float = 0.6):
        self.camera = camera
        self.scene = scene or Scene()
        self.blur = blur
        self.rays = camera.pixel_rays()                      # (H, W, 3) camera frame
        R = camera.rotation.astype(np.float32)
        self.rays_w = self.rays @ R.T                        # world directions (z-scaled)
        self._background()

    # ------------------------------------------------------------------ room
    def _background(self) -> None:
        cam, sc = self.camera, self.scene
        H, W = cam.height, cam.width
        o = cam.center.astype(np.float32)
        d = self.rays_w
        img = np.empty((H, W, 3), np.float32)
        depth = np.full((H, W), np.inf, np.float32)
        # back wall: vertical plane facing the camera, behind the focus point
        fwd = np.asarray(sc.focus, np.float32) - o
        fwd[1] = 0.0
        fwd /= max(float(np.linalg.norm(fwd)), 1e-6)
        p0 = np.asarray(sc.focus, np.float32) + fwd * sc.wall_distance
        denom = d @ fwd
        with np.errstate(divide="ignore", invalid="ignore"):
            tw = np.where(denom > 1e-6, ((p0 - o) @ fwd) / denom, np.inf)
        hit_y = o[1] + tw * d[..., 1]
        wall_c = np.asarray(sc.wall, np.float32)
        shade = np.clip(0.88 + 0.08 * np.clip(hit_y, 0, 3) / 3.0, 0.8, 1.0)
        img[:] = wall_c * shade[..., None]
        depth = np.minimum(depth, tw)
        # floor y = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            tf = np.where(d[..., 1] < -1e-6, -o[1] / d[..., 1], np.inf)
        floor = tf < depth
        tff = np.where(floor, tf, 0.0)
        fx = o[0] + tff * d[..., 0]
        fz = o[2] + tff * d[..., 2]
        floor_c = np.asarray(sc.floor, np.float32)
        # subtle plank texture + distance falloff
        plank = 0.975 + 0.025 * np.sign(np.sin(fx * np.pi / 0.18))
        fall = np.clip(1.05 - 0.03 * tff, 0.8, 1.05)
        fc = floor_c * (plank * fall)[..., None]
        if sc.mat is not None:
            (x0, z0), (x1, z1) = sc.mat
            on = (fx >= x0) & (fx <= x1) & (fz >= z0) & (fz <= z1)
            fc = np.where(on[..., None], np.asarray(sc.mat_color, np.float32) * fall[..., None],
                          fc)
        img = np.where(floor[..., None], fc, img)
        depth = np.where(floor, tf, depth)
        self._floor_mask = floor
        self._floor_xz = np.stack([fx, fz], -1)
        # step box (slab test in world coordinates)
        if sc.box is not None:
            lo = np.asarray(sc.box[0], np.float32)
            hi = np.asarray(sc.box[1], np.float32)
            with np.errstate(divide="ignore", invalid="ignore"):
                inv = 1.0 / d
                t0 = (lo - o) * inv
                t1 = (hi - o) * inv
            tmin = np.minimum(t0, t1)
            tmax = np.maximum(t0, t1)
            tn = np.nanmax(tmin, axis=-1)
            tx = np.nanmin(tmax, axis=-1)
            hit = (tx >= tn) & (tn > 0) & (tn < depth)
            axis = np.argmax(tmin, axis=-1)
            normals_w = np.zeros((H, W, 3), np.float32)
            sgn = -np.sign(np.take_along_axis(d, axis[..., None], -1)[..., 0])
            np.put_along_axis(normals_w, axis[..., None], sgn[..., None], -1)
            n_cam = normals_w @ cam.rotation.astype(np.float32)
            col = _shade(n_cam[hit], self.rays[hit], sc.box_color, sc)
            img[hit] = col
            depth = np.where(hit, tn, depth)
            # darker edges on the box
            self._floor_mask = self._floor_mask & ~hit
        self.bg = img
        self.bg_depth = depth.astype(np.float32)

    # ------------------------------------------------------------------ primitives
    def _bbox(self, pts: np.ndarray, r: float) -> tuple[int, int, int, int] | None:
        """Pixel bbox (u0, v0, u1, v1) of spheres of radius r at camera-frame points."""
        z = pts[:, 2]
        if np.any(z < 0.05):
            return None
        f = self.camera.focal_px
        cx, cy = self.camera.principal_point
        u = f * pts[:, 0] / z + cx
        v = f * pts[:, 1] / z + cy
        rad = f * r / z.min() * 1.15 + 2
        u0 = int(max(np.floor(u.min() - rad), 0))
        v0 = int(max(np.floor(v.min() - rad), 0))
        u1 = int(min(np.ceil(u.max() + rad), self.camera.width))
        v1 = int(min(np.ceil(v.max() + rad), self.camera.height))
        if u1 <= u0 or v1 <= v0:
            return None
        return u0, v0, u1, v1

    def _capsule(self, a: np.ndarray, b: np.ndarray, r: float, color: Color,
                 img: np.ndarray, zb: np.ndarray) -> None:
        box = self._bbox(np.stack([a, b]), r)
        if box is None:
            return
        u0, v0, u1, v1 = box
        rd = self.rays[v0:v1, u0:u1].reshape(-1, 3)
        ba = (b - a).astype(np.float32)
        oa = (-a).astype(np.float32)
        baba = float(ba @ ba)
        bard = rd @ ba
        baoa = float(ba @ oa)
        rdoa = rd @ oa
        oaoa = float(oa @ oa)
        rdrd = np.sum(rd * rd, -1)
        k2 = baba * rdrd - bard * bard
        k1 = baba * rdoa - baoa * bard
        k0 = baba * oaoa - baoa * baoa - r * r * baba
        h = k1 * k1 - k2 * k0
        t = np.full(rd.shape[0], np.inf, np.float32)
        ok = h >= 0
        with np.errstate(invalid="ignore", divide="ignore"):
            tc = (-k1 - np.sqrt(np.maximum(h, 0))) / k2
            y = baoa + tc * bard
            body = ok & (y > 0) & (y < baba)
            t = np.where(body, tc, t)
            # caps
            rest = ok & ~body
            if np.any(rest):
                for cen, sel in ((a, y <= 0), (b, y >= baba)):
                    m = rest & sel
                    if not np.any(m):
                        continue
                    oc = (-cen).astype(np.float32)
                    bb = rd[m] @ oc
                    cc = float(oc @ oc) - r * r
                    hh = bb * bb - rdrd[m] * cc
                    ts = np.where(hh >= 0, (-bb - np.sqrt(np.maximum(hh, 0))) / rdrd[m], np.inf)
                    t[m] = ts
        self._commit(t, rd, (u0, v0, u1, v1), color, img, zb,
                     lambda p: self._capsule_normal(p, a, b, r))

    @staticmethod
    def _capsule_normal(p: np.ndarray, a: np.ndarray, b: np.ndarray, r: float) -> np.ndarray:
        ba = (b - a).astype(np.float32)
        h = np.clip(((p - a) @ ba) / max(float(ba @ ba), 1e-12), 0, 1)
        n = p - (a + h[:, None] * ba)
        return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-9)

    def _ellipsoid(self, c: np.ndarray, R: np.ndarray, radii: tuple[float, float, float],
                   color: Color, img: np.ndarray, zb: np.ndarray) -> None:
        box = self._bbox(c[None], max(radii))
        if box is None:
            return
        u0, v0, u1, v1 = box
        rd = self.rays[v0:v1, u0:u1].reshape(-1, 3)
        inv_r = 1.0 / np.asarray(radii, np.float32)
        Rt = R.T.astype(np.float32)
        o_l = (Rt @ (-c).astype(np.float32)) * inv_r        # (3,)
        d_l = (rd @ Rt.T) * inv_r                            # (N, 3)
        A = np.sum(d_l * d_l, -1)
        B = d_l @ o_l
        C = float(o_l @ o_l) - 1.0
        h = B * B - A * C
        with np.errstate(invalid="ignore"):
            t = np.where(h >= 0, (-B - np.sqrt(np.maximum(h, 0))) / A, np.inf)

        def normal(p: np.ndarray) -> np.ndarray:
            q = ((p - c.astype(np.float32)) @ Rt.T) * inv_r * inv_r
            n = q @ Rt
            return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-9)

        self._commit(t, rd, (u0, v0, u1, v1), color, img, zb, normal)

    def _commit(self, t: np.ndarray, rd: np.ndarray, box: tuple[int, int, int, int],
                color: Color, img: np.ndarray, zb: np.ndarray, normal_fn) -> None:
        u0, v0, u1, v1 = box
        zsub = zb[v0:v1, u0:u1].reshape(-1)
        win = (t > 0.05) & (t < zsub)
        if not np.any(win):
            return
        idx = np.flatnonzero(win)
        p = rd[idx] * t[idx, None]
        n = normal_fn(p)
        col = _shade(n, rd[idx], color, self.scene)
        isub = img[v0:v1, u0:u1].reshape(-1, 3)
        isub[idx] = col
        zsub[idx] = t[idx]
        img[v0:v1, u0:u1] = isub.reshape(v1 - v0, u1 - u0, 3)
        zb[v0:v1, u0:u1] = zsub.reshape(v1 - v0, u1 - u0)

    # ------------------------------------------------------------------ frame
    def render(self, prims: list[Primitive], shadow_points: np.ndarray | None = None
               ) -> np.ndarray:
        """Render one frame.

        Args:
            prims: primitives in world metres.
            shadow_points: optional (K, 3) world points that cast soft contact shadows
                on the floor (strength falls with their height).

        Returns:
            uint8 (H, W, 3) BGR image.
        """
        img = self.bg.copy()
        zb = self.bg_depth.copy()
        if shadow_points is not None and len(shadow_points):
            self._shadows(img, np.asarray(shadow_points, np.float32))
        R = self.camera.rotation
        o = self.camera.center
        for pr in prims:
            if isinstance(pr, Capsule):
                a = (pr.a - o) @ R
                b = (pr.b - o) @ R
                self._capsule(a, b, pr.r, pr.color, img, zb)
            elif isinstance(pr, Ellipsoid):
                c = (pr.c - o) @ R
                Rc = R.T @ pr.R
                self._ellipsoid(c, Rc, pr.radii, pr.color, img, zb)
        out = np.clip(img, 0, 255).astype(np.uint8)
        if self.blur > 0:
            return np.asarray(cv2.GaussianBlur(out, (0, 0), self.blur), np.uint8)
        return out

    def _shadows(self, img: np.ndarray, pts: np.ndarray) -> None:
        fm = self._floor_mask
        xz = self._floor_xz
        # restrict to the rows/cols spanned by the floor near the points
        pc = self.camera.project(np.column_stack([pts[:, 0], np.zeros(len(pts)), pts[:, 2]]))
        ok = np.isfinite(pc[:, 0])
        if not np.any(ok):
            return
        pad = 90
        u0 = int(max(np.nanmin(pc[ok, 0]) - pad, 0))
        u1 = int(min(np.nanmax(pc[ok, 0]) + pad, self.camera.width))
        v0 = int(max(np.nanmin(pc[ok, 1]) - pad, 0))
        v1 = int(min(np.nanmax(pc[ok, 1]) + pad, self.camera.height))
        if u1 <= u0 or v1 <= v0:
            return
        sub = xz[v0:v1, u0:u1]
        dark = np.zeros(sub.shape[:2], np.float32)
        for p in pts:
            hgt = max(float(p[1]), 0.0)
            sig = 0.07 + 0.25 * hgt
            strength = 0.45 * np.exp(-hgt / 0.35)
            d2 = (sub[..., 0] - p[0]) ** 2 + (sub[..., 1] - p[2]) ** 2
            dark = np.maximum(dark, strength * np.exp(-d2 / (2 * sig * sig)))
        dark *= fm[v0:v1, u0:u1]
        img[v0:v1, u0:u1] *= (1.0 - dark)[..., None]
